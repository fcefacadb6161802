"""The [bot] table: what the bot is and which base model it starts from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from botsmith.config.section import Section

Mode = Literal["completion", "dialogue", "chat"]
MODES: tuple[str, ...] = ("completion", "dialogue", "chat")


class BotSection(Section):
    name: str = Field(description="The bot's display name.")
    mode: Mode = Field(
        "completion",
        description="completion: continues stories; dialogue: answers like characters of books; chat: talks like a person in a chat export.",
    )
    base_model: str = Field(
        "smollm2-135m",
        description="An alias (botsmith models list), a Hugging Face model folder, a .gguf file, or a Hub id.",
    )
    system_prompt: str = Field(
        "",
        description="System prompt used in training and every runtime (empty: 'You are <character>.' for a "
                    "character bot, 'You are <your first --me name>.' for a chat bot, else none).",
    )
    chat_template: str = Field(
        "",
        description="How conversations become text: empty for the base model's own template (ChatML when it has "
                    "none), a name (chatml, llama3, phi3, zephyr, gemma, mistral, mistral-v3, llama2) or a Jinja file "
                    "(relative paths from the bot folder). Rebuild the dataset after changing it.",
    )
