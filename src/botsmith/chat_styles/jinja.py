"""A TurnStyle as a Jinja chat template, and rendering any chat template the way botsmith does.

The template does itself what the style says (the system prompt folded, same-role turns
merged, a leading user turn for strict styles, a user's name before their words), so a
program that renders it on raw messages (transformers' apply_chat_template, llama.cpp)
gets the text botsmith trained on.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Sequence

from botsmith.chat_styles.style import TurnStyle
from botsmith.errors import BotsmithError


def render_jinja(jinja: str, messages: Sequence[dict[str, Any]], *, add_generation_prompt: bool,
                 eos_token: str = "", bos_token: str = "") -> str:
    """`jinja` rendered as transformers renders chat templates (the BOS is left to the tokenizer)."""
    return _compiled(jinja).render(messages=list(messages), add_generation_prompt=add_generation_prompt,
                                   bos_token=bos_token, eos_token=eos_token)


@functools.lru_cache(maxsize=64)
def _compiled(jinja: str) -> Any:
    # Compiling a template takes milliseconds; training renders it several times per example.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise_template_error
    return env.from_string(jinja)


def _raise_template_error(message: str) -> None:
    raise BotsmithError(f"chat template: {message}")


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is also a Jinja string literal


def style_jinja(style: TurnStyle) -> str:
    """The Jinja template of `style` (see the module docstring for what it does)."""
    u_open, u_close = map(_literal, style.user)
    a_open, a_close = map(_literal, style.assistant)
    s_open, s_close = map(_literal, style.system or ("", ""))
    folded = f"{_literal(style.fold[0])} + ns.system + {_literal(style.fold[1])}"
    close = (f"{{%- if ns.prev == 'user' -%}}{{{{ {u_close} }}}}"
             f"{{%- elif ns.prev == 'assistant' -%}}{{{{ {a_close} }}}}"
             f"{{%- elif ns.prev == 'system' -%}}{{{{ {s_close} }}}}{{%- endif -%}}")
    pending = f"{{%- if ns.folding -%}}{{{{ {folded} }}}}{{%- set ns.folding = false -%}}{{%- endif -%}}"
    first_system = ("{%- set ns.system = content -%}{%- set ns.folding = true -%}" if style.system is None
                    else f"{{{{ {s_open} + content }}}}{{%- set ns.prev = 'system' -%}}")
    merge = "role == ns.prev" if style.alternate else "false"
    lead = "true" if style.alternate else "ns.folding"
    return (
        "{%- set ns = namespace(prev='', system='', folding=false) -%}"
        "{%- for message in messages -%}"
        "{%- set content = message['content'] -%}"
        "{%- if message['role'] == 'user' and message['name'] is defined and message['name'] -%}"
        "{%- set content = message['name'] + ': ' + content -%}{%- endif -%}"
        f"{{%- if loop.first and message['role'] == 'system' -%}}{first_system}"
        "{%- else -%}"
        f"{{%- set role = 'user' if message['role'] == 'system' and {_bool(style.system_as_user)} "
        "else message['role'] -%}"
        f"{{%- if {merge} -%}}{{{{ '\\n' + content }}}}"
        "{%- else -%}"
        f"{close}"
        f"{{%- if role == 'assistant' and ns.prev in ['', 'system'] and {lead} -%}}"
        f"{{{{ {u_open} }}}}{pending}{{{{ {u_close} }}}}{{%- endif -%}}"
        f"{{%- if role == 'user' -%}}{{{{ {u_open} }}}}{pending}{{{{ content }}}}"
        f"{{%- elif role == 'system' -%}}{{{{ {s_open} + content }}}}"
        f"{{%- else -%}}{{{{ {a_open} + content }}}}{{%- endif -%}}"
        "{%- set ns.prev = role -%}"
        "{%- endif -%}{%- endif -%}"
        "{%- endfor -%}"
        f"{close}"
        f"{{%- if ns.folding or (add_generation_prompt and ns.prev in ['', 'system'] and {lead}) -%}}"
        f"{{{{ {u_open} }}}}{pending}{{{{ {u_close} }}}}{{%- endif -%}}"
        f"{{%- if add_generation_prompt -%}}{{{{ {_literal(style.reply_header)} }}}}{{%- endif -%}}"
    )


def _bool(value: bool) -> str:
    return "true" if value else "false"
