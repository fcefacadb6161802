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


def generate_sample(model: Any, tokenizer: Any, chat_format: Any, text: str, max_new_tokens: int,
                    repetition_penalty: float = 1.0) -> str:
    """`text` continued as `botsmith chat --temperature 0` decodes: greedy, with the bot's repetition penalty, spared on
    the end-of-turn markers as the runtime spares them (chat/generate.py `penalty_mask`), stopped at one of them.
    Without the penalty a small model's greedy reply loops (`I am not sure I can do it. I am not sure I can do it.
    ...`) where the bot a user talks to does not. transformers' generate under no_grad, not the runtime's engine:
    the training kernels (train/sibling_lora.py) cannot run on inference-mode tensors."""
    import torch
    from transformers import LogitsProcessorList

    from botsmith.chat.generate import stop_token_ids

    device = next(model.parameters()).device
    ids = tokenizer(text, return_tensors="pt", add_special_tokens=True)["input_ids"].to(device)
    stops = sorted(stop_token_ids(model, tokenizer, chat_format.stop))
    processors = LogitsProcessorList([_SparingPenalty(repetition_penalty, stops)] if repetition_penalty != 1.0 else [])
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            output = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                                    do_sample=False, eos_token_id=stops, logits_processor=processors,
                                    pad_token_id=tokenizer.pad_token_id, use_cache=True)
    finally:
        model.train(was_training)
    return tokenizer.decode(output[0, ids.shape[1]:], skip_special_tokens=True)


class _SparingPenalty:
    """The runtime's repetition penalty (chat/sampling.py `next_token`) as a transformers logits processor: every token
    seen so far, but not the stop tokens the chat template writes after each turn (chat/generate.py `penalty_mask`).
    One sequence at a time, as samples are generated."""

    def __init__(self, penalty: float, stop_ids: list[int]) -> None:
        self.penalty = penalty
        self.stop_ids = stop_ids

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        from botsmith.chat.generate import penalty_mask
        from botsmith.chat.sampling import penalised

        seen = penalty_mask(input_ids[0].tolist(), scores.shape[1], self.stop_ids).to(scores.device)
        return torch.where(seen, penalised(scores, self.penalty), scores)
