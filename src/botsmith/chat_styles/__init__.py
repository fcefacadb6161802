"""Turn styles: how a family of chat templates wraps each turn, defined once.

A `TurnStyle` is what every common chat template does to a conversation: a header and an
end marker around each role's turn, the system prompt either as a turn of its own or
folded into the first user turn, and, for strict templates (Mistral, Gemma, Llama-2),
roles that must alternate. From this one definition come the Jinja template (training,
chat, serve, the HF export and the GGUF), Ollama's Go TEMPLATE and the stop marker, so
they render a conversation byte for byte the same. A base model's own template is read
into a style by rendering probe conversations through it (`derive_style`).
"""

from botsmith.chat_styles.derive import derive_style
from botsmith.chat_styles.go import style_go_template
from botsmith.chat_styles.jinja import render_jinja, style_jinja
from botsmith.chat_styles.render import render_style
from botsmith.chat_styles.style import STYLES, TurnStyle, merge_turns, named_style

__all__ = ["STYLES", "TurnStyle", "derive_style", "merge_turns", "named_style", "render_jinja", "render_style",
           "style_go_template", "style_jinja"]
