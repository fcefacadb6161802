"""A TurnStyle as Ollama's TEMPLATE (a Go text/template over .Messages).

It does what the style's Jinja does, step for step, so Ollama renders the text training
did. Ollama puts the Modelfile's SYSTEM in front of the messages when a request brings no
system message, as the Jinja's default system prompt does. Literal text is written as
quoted strings inside actions, so the whitespace trimming ({{- -}}) never eats any of it.
"""

from __future__ import annotations

import json

from botsmith.chat_styles.style import TurnStyle


def _text(text: str) -> str:
    # A JSON string (ASCII, with \n and \uXXXX escapes) is also a Go interpreted string literal.
    return "{{ " + json.dumps(text) + " }}" if text else ""


def style_go_template(style: TurnStyle) -> str:
    """Ollama's TEMPLATE for `style`."""
    u_open, u_close = map(_text, style.user)
    a_open, a_close = map(_text, style.assistant)
    s_open, s_close = map(_text, style.system or ("", ""))
    pending = (f'{{{{- if $folding }}}}{_text(style.fold[0])}{{{{ $system }}}}{_text(style.fold[1])}'
               '{{- $folding = false }}{{- end }}')
    close = (f'{{{{- if eq $prev "user" }}}}{u_close}{{{{- else if eq $prev "assistant" }}}}{a_close}'
             f'{{{{- else if eq $prev "system" }}}}{s_close}{{{{- end }}}}')
    first_system = ('{{- $system = .Content }}{{- $folding = true }}' if style.system is None
                    else f'{s_open}{{{{ .Content }}}}{{{{- $prev = "system" }}}}')
    as_user = '\n{{- if eq $role "system" }}{{ $role = "user" }}{{ end }}' if style.system_as_user else ""
    merge = '(eq $role $prev)' if style.alternate else 'false'
    lead = 'true' if style.alternate else '$folding'
    return (
        '{{- $prev := "" }}{{- $system := "" }}{{- $folding := false }}\n'
        '{{- range $i, $m := .Messages }}\n'
        f'{{{{- if and (eq $i 0) (eq .Role "system") }}}}{first_system}\n'
        '{{- else }}{{- $role := .Role }}'
        f'{as_user}\n'
        f'{{{{- if {merge} }}}}{{{{ "\\n" }}}}{{{{ .Content }}}}\n'
        f'{{{{- else }}}}{close}\n'
        f'{{{{- if and (eq $role "assistant") (or (eq $prev "") (eq $prev "system")) {lead} }}}}'
        f'{u_open}{pending}{u_close}{{{{- end }}}}\n'
        f'{{{{- if eq $role "user" }}}}{u_open}{pending}{{{{ .Content }}}}\n'
        f'{{{{- else if eq $role "system" }}}}{s_open}{{{{ .Content }}}}\n'
        f'{{{{- else }}}}{a_open}{{{{ .Content }}}}{{{{- end }}}}\n'
        '{{- $prev = $role }}{{- end }}{{- end }}{{- end }}\n'
        f'{close}\n'
        f'{{{{- if or $folding (and (or (eq $prev "") (eq $prev "system")) {lead}) }}}}{u_open}{pending}{u_close}'
        f'{{{{- end }}}}{_text(style.reply_header)}'
    )
