"""A tiny Llama that has learned one conversation by heart, so replies are predictable.

It is trained (a few hundred steps, about a second) on a ChatML text in which the
assistant's turn is followed by the user's next line. A correct engine must stop at
the end-of-turn marker and return exactly PARROT_REPLY; one that runs on would write
"who are you" as the user.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import build_tiny_model

PARROT_PROMPT = "hello"
PARROT_REPLY = "Hello there, my friend."
NEXT_USER_LINE = "who are you"
CONVERSATION = [
    {"role": "user", "content": PARROT_PROMPT},
    {"role": "assistant", "content": PARROT_REPLY},
    {"role": "user", "content": NEXT_USER_LINE},
    {"role": "assistant", "content": PARROT_REPLY},
]


# A bot that ends its turn before a word, whatever it is told: what a small model sometimes does.
MUTE_CONVERSATION = [{"role": "user", "content": PARROT_PROMPT}, {"role": "assistant", "content": ""}]


def build_parrot(folder: Path, max_steps: int = 200, conversation: list[dict] = CONVERSATION) -> Path:
    """Save the parrot (the one that says `conversation` by heart) as a plain model folder (config, weights,
    tokenizer) in `folder`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from botsmith.chat_format import chat_format_for

    folder.mkdir(parents=True, exist_ok=True)
    build_tiny_model("llama", folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    text = chat_format_for(tokenizer).render(conversation, add_generation_prompt=False)
    ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    model.train()
    for _ in range(max_steps):
        loss = model(input_ids=ids, labels=ids).loss
        if loss.item() < 0.003:  # learned by heart; usually after about 100 steps
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05, f"the parrot did not learn its line (loss {loss.item():.3f})"
    model.eval()
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "parrot.json").write_text(json.dumps({"final_loss": loss.item()}))
    return folder


def session_parrot(tmp_path_factory, mute: bool = False) -> Path:
    """The parrot (or the mute one), built once per test session however many conftests ask for it."""
    folder = tmp_path_factory.getbasetemp() / ("mute-parrot-model" if mute else "parrot-model")
    if not (folder / "parrot.json").is_file():
        build_parrot(folder, conversation=MUTE_CONVERSATION if mute else CONVERSATION)
    return folder
