"""Sample generations from fixed prompts during training, so progress can be read, not just plotted."""

from __future__ import annotations

from typing import Any

from botsmith.records import record_kind


def default_prompts(records: list[dict[str, Any]], mode: str, count: int = 2) -> list[str]:
    """Openings of the first validation (or training) records, in the form the bot will be prompted."""
    prompts = []
    for record in records[:count]:
        kind = record_kind(record)
        if kind == "messages":
            users = [m["content"] for m in record["messages"] if m["role"] == "user"]
            if users:
                prompts.append(users[0])
        elif kind == "prompt_completion":
            prompts.append(record["prompt"])
        else:
            prompts.append(" ".join(record["text"].split()[:12]))
    return prompts


def prompt_text(prompt: str, mode: str, chat_format: Any) -> str:
    """The sample prompt as the bot's runtime sends it (the format adds the bot's system prompt)."""
    if mode == "completion":
        return prompt
    return chat_format.prompt([{"role": "user", "content": prompt}])


def generate_sample(model: Any, tokenizer: Any, chat_format: Any, text: str, max_new_tokens: int) -> str:
    """Greedy continuation of `text`, stopped at the chat format's end-of-turn markers."""
    import torch

    device = next(model.parameters()).device
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=True)["input_ids"].to(device)
    stop_ids = [tokenizer.convert_tokens_to_ids(marker) for marker in chat_format.stop]
    stop_ids = [i for i in stop_ids if isinstance(i, int) and i != tokenizer.unk_token_id]
    if tokenizer.eos_token_id is not None:
        stop_ids.append(tokenizer.eos_token_id)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            output = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                    do_sample=False, eos_token_id=sorted(set(stop_ids)),
                                    pad_token_id=tokenizer.pad_token_id, use_cache=True)
    finally:
        model.train(was_training)
    return tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)
