"""Several replies decoded side by side on the lean Llama pass (`FastLlama.batch`).

One reply at a time, each new token multiplies every weight matrix by a single vector:
the step reads all the weights for one token, and on a CPU that reading is most of its
time. A batch feeds the new tokens of `width` replies through each matrix at once (a
matrix-matrix product that reads the weights once for all of them). Each slot keeps its
own keys and values and its own position; attention masks every slot to its own
positions, so a slot's logits are the ones its reply would get alone (up to float
rounding in the sums). Used by `Engine.generate_batch` (eval answers its probes so).
"""

from __future__ import annotations

import copy
from typing import Any

from botsmith.chat.fast_llama import PROBE_IDS, FastLlama, logits_disagree, rms_norm

# Largest difference allowed between a batch's logits and the single pass's on a short probe, as a fraction of the
# largest logit: the two round their sums differently (measured on SmolLM2-135M: see `probe_batch`), while a wrong
# mask, position or cache slot differs by the size of the logits themselves.
BATCH_TOLERANCE = {"float32": 1e-3}
BATCH_TOLERANCE_LOW_PRECISION = 0.15  # bf16, fp16, int8 weights


class LlamaBatch:
    def __init__(self, runner: FastLlama, width: int, capacity: int) -> None:
        """`width` slots of `capacity` positions each (the longest prompt plus reply of the batch)."""
        import torch

        # A copy shares the runner's fused weights; it gets its own cache views, position and RoPE tables, so
        # the runner's own cache (a chat's cached prefix) is left as it was. (Requests that `generate_batch` answers
        # one after another go through the runner itself, as `generate` does.)
        self.lane = copy.copy(runner)
        self.lane._rope(capacity)
        self.width, self.capacity = width, capacity
        shape = (len(runner.layers), width, runner.kv_heads, capacity, runner.head_dim)
        # zeros, not empty: a slot's attention reads past its own length (masked), and a NaN in memory never
        # written would turn the masked product into NaN
        self.keys, self.values = torch.zeros(shape, dtype=runner.dtype), torch.zeros(shape, dtype=runner.dtype)
        self.positions = [0] * width

    def prefill(self, slot: int, ids: list[int]) -> Any:
        """Logits (float32, one row) after the prompt `ids`, which now fills `slot` (whatever it held before)."""
        import torch

        if len(ids) >= self.capacity:
            raise ValueError(f"a prompt of {len(ids)} tokens leaves no room in a batch of {self.capacity} positions")
        lane = self.lane
        lane.cache = (self.keys[:, slot], self.values[:, slot])
        lane.position, lane.cached_ids = 0, []
        logits = lane._forward(torch.tensor(ids))
        self.positions[slot] = len(ids)
        return logits

    def step(self, token_ids: list[int | None]) -> Any:
        """Logits (float32, one row per slot) after each slot's next token; None leaves a slot idle (its row is
        computed on a placeholder and means nothing)."""
        import torch
        import torch.nn.functional as F

        lane = self.lane
        width, heads, kv_heads, dim = self.width, lane.heads, lane.kv_heads, lane.head_dim
        if len(token_ids) != width:
            raise ValueError(f"{len(token_ids)} tokens for a batch of {width} slots")
        for slot, token_id in enumerate(token_ids):
            if token_id is not None and self.positions[slot] >= self.capacity:
                raise ValueError(f"slot {slot} is full ({self.capacity} positions)")
        # an idle slot attends to position 0 only, which its next prefill writes again
        positions = torch.tensor([self.positions[slot] if token_id is not None else 0
                                  for slot, token_id in enumerate(token_ids)])
        ids = torch.tensor([token_id if token_id is not None else 0 for token_id in token_ids])
        end = int(positions.max()) + 1
        visible = (torch.arange(end)[None, :] <= positions[:, None])[:, None, None, :]  # (width, 1, 1, end)
        cos, sin = lane.cos[positions], lane.sin[positions]  # (width, 1, head_dim), broadcast over heads
        slots, rotated = torch.arange(width), heads + kv_heads
        with torch.inference_mode():
            x = F.embedding(ids, lane.embed)
            for index, layer in enumerate(lane.layers):
                qkv = layer["qkv"].rows(rms_norm(x, layer["in_norm"], lane.eps)).view(width, rotated + kv_heads, dim)
                qk = qkv[:, :rotated]
                qk = qk * cos + torch.roll(qk, dim // 2, dims=-1) * sin
                keys, values = self.keys[index], self.values[index]  # (width, kv_heads, capacity, dim)
                keys[slots, :, positions] = qk[:, heads:]
                values[slots, :, positions] = qkv[:, rotated:]
                out = F.scaled_dot_product_attention(qk[:, :heads].unsqueeze(2), keys[:, :, :end], values[:, :, :end],
                                                     attn_mask=visible, enable_gqa=True)
                x = x + layer["o"].rows(out.reshape(width, heads * dim))
                gate, up = layer["gate_up"].rows(rms_norm(x, layer["post_norm"], lane.eps)).chunk(2, dim=-1)
                x = x + layer["down"].rows(F.silu(gate) * up)
            logits = lane.lm_head.rows(rms_norm(x, lane.norm, lane.eps)).float()
        for slot, token_id in enumerate(token_ids):
            self.positions[slot] += token_id is not None
        return logits



def probe_batch(runner: FastLlama) -> str | None:
    """None when a two-slot batch gives this model's logits as the single pass does: prompts of two lengths, a step
    of both slots, then one with the second idle. Checked once per runner, before its first batch."""
    import torch

    vocab = runner.embed.shape[0]
    first, second = [token % vocab for token in PROBE_IDS], [token % vocab for token in reversed(PROBE_IDS[2:])]
    capacity = len(first) + 3
    lane = copy.copy(runner)  # the single pass on a cache of its own: the runner's chat cache stays as it was
    lane.cache, lane.cached_ids, lane.position = None, [], 0
    batch = LlamaBatch(runner, 2, capacity)
    with torch.inference_mode():
        ours = [batch.prefill(0, first), batch.prefill(1, second)]
        both = batch.step([first[0], second[0]])
        ours += [both[0], both[1], batch.step([first[1], None])[0]]
        alone = [lane.prefill(first, capacity), lane.step(first[0]), lane.step(first[1])]
        alone += [lane.prefill(second, capacity), lane.step(second[0])]
    theirs = [alone[0], alone[3], alone[1], alone[4], alone[2]]  # in the order of `ours`
    dtype = str(runner.dtype).split(".")[-1]
    limit = BATCH_TOLERANCE.get(dtype, BATCH_TOLERANCE_LOW_PRECISION) if runner.weights == "full" else \
        BATCH_TOLERANCE_LOW_PRECISION
    names = ("first prompt", "second prompt", "step", "step", "step with a slot idle")
    return logits_disagree(list(zip(names, ours, theirs)), limit, "the single pass")
