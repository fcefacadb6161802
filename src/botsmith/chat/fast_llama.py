"""A lean forward pass for Llama-family models: the engine's fast path on CPU.

Decoding one token at a time costs the matrix-vector products over every weight
(~85% of a bf16 step on the 2-core development CPU) plus the small tensor operations
per layer that transformers' modules dispatch. This pass does the same arithmetic as
`LlamaForCausalLM` with fewer, larger operations:

  - q/k/v and gate/up projections run as one matrix-vector product each, over
    weights concatenated once (the model's own parameters become views into them,
    so no memory is duplicated and the generic path still works);
  - a new token runs as vectors (`step`): RMSNorm in two calls, RoPE on queries and
    keys together, residual adds rounded as transformers rounds them, one-slot cache writes;
  - keys and values go into a cache preallocated for the whole reply;
  - optionally the matrices are int8 copies (chat/projections.py), made once here.

Only plain Llama layers qualify (no biases, SiLU, no tensor-parallel slicing, CPU);
anything else returns None from `fast_runner` and the engine keeps transformers'
modules. Before the engine uses it, `probe_runner` compares its logits (a prompt, then one
more token) with transformers' on this model; with full weights, greedy tokens match the
generic path (tests/chat/test_fast_llama.py).
"""

from __future__ import annotations

from typing import Any

from botsmith.chat.context import cached_prefix_length
from botsmith.chat.projections import projection

SUPPORTED = {"LlamaForCausalLM"}
# Largest logit difference from transformers allowed at load, as a fraction of the largest logit:
# float32 computes the same sums; bf16 rounds in other places; int8 weights add their quantization.
PROBE_TOLERANCE = {("float32", "full"): 1e-4, ("bfloat16", "full"): 5e-2, ("float16", "full"): 5e-2}
INT8_TOLERANCE = 0.1
PROBE_IDS = [1, 2, 3, 4, 5, 6, 7, 8]


def fast_runner(model: Any, weights: str = "full") -> "FastLlama | None":
    """The fast pass for `model`, or None when it is not a plain Llama on CPU.

    `weights="int8"` quantizes every matrix (lm_head included) once, here; the model keeps its own weights.
    """
    return FastLlama(model, weights) if fast_runner_applies(model) else None


def fast_runner_applies(model: Any) -> bool:
    """A plain Llama on CPU: no biases, SiLU, no tensor-parallel slicing."""
    if type(model).__name__ not in SUPPORTED:
        return False
    config = model.config
    plain = (not getattr(config, "attention_bias", False) and not getattr(config, "mlp_bias", False)
             and getattr(config, "hidden_act", None) == "silu" and getattr(config, "pretraining_tp", 1) == 1)
    return plain and model.get_input_embeddings().weight.device.type == "cpu"


def probe_runner(runner: "FastLlama", model: Any) -> str | None:
    """None when the runner's logits after a prompt and after one more token are transformers' (within tolerance)."""
    import torch

    from botsmith.chat.generate import GenericRunner

    vocab = runner.embed.shape[0]
    ids = [token % vocab for token in PROBE_IDS]
    generic = GenericRunner(model)
    dtype = str(runner.dtype).split(".")[-1]
    limit = INT8_TOLERANCE if runner.weights == "int8" else PROBE_TOLERANCE.get((dtype, runner.weights), 5e-2)
    with torch.inference_mode():
        pairs = [(runner.prefill(ids, len(ids) + 1), generic.prefill(ids, len(ids) + 1)),
                 (runner.step(ids[0]), generic.step(ids[0]))]
    return logits_disagree([("prompt", *pairs[0]), ("next token", *pairs[1])], limit, "transformers'")


def logits_disagree(rows: list[tuple[str, Any, Any]], limit: float, reference: str) -> str | None:
    """The first (name, ours, theirs) whose largest logit difference, as a share of theirs' largest logit, passes
    `limit`, in words; None when every row agrees."""
    for name, ours, theirs in rows:
        error = float((ours - theirs).abs().max()) / (float(theirs.abs().max()) or 1.0)
        if not error <= limit:
            return f"{name} logits differ from {reference} by {error:.2g} of the largest (limit {limit:g})"
    return None


class FastLlama:
    def __init__(self, model: Any, weights: str = "full") -> None:
        import torch

        config = model.config
        self.model = model
        self.weights = weights
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.hidden = config.hidden_size
        self.eps = config.rms_norm_eps
        with torch.no_grad():
            self.layers = [_fuse(layer, weights) for layer in model.model.layers]
        self.embed = model.model.embed_tokens.weight
        self.norm = model.model.norm.weight
        self.lm_head = projection(model.lm_head.weight, weights)
        self.dtype = self.embed.dtype
        self._source = (model.model.layers[0].self_attn.q_proj.weight.data_ptr(), model.lm_head.weight.data_ptr())
        self.cache: tuple[Any, Any] | None = None
        self.cached_ids: list[int] = []  # the tokens whose keys and values the cache holds, up to `position`
        self.position = 0

    def stale(self) -> bool:
        """True when the model's weights were replaced since (e.g. `.to(dtype)`, a new adapter merged)."""
        attention = self.model.model.layers[0].self_attn
        return (attention.q_proj.weight.data_ptr(), self.model.lm_head.weight.data_ptr()) != self._source

    def prefill(self, ids: list[int], capacity: int) -> Any:
        """Logits (float32, one row) after the prompt; the cache gets room for `capacity` positions.

        A chat's next prompt starts with the last one (system prompt, earlier turns, the reply): the
        keys and values of that common prefix stay in the cache and only the new tokens run."""
        import torch

        common = cached_prefix_length(self.cached_ids[:self.position], ids)
        if self.cache is None or self.cache[0].shape[2] < capacity:
            shape = (len(self.layers), self.kv_heads, capacity, self.head_dim)
            cache = (torch.empty(shape, dtype=self.dtype), torch.empty(shape, dtype=self.dtype))
            if common:
                for new, old in zip(cache, self.cache):
                    new[:, :, :common] = old[:, :, :common]
            self.cache = cache
            self._rope(capacity)
        self.position = common
        self.cached_ids = list(ids)
        return self._forward(torch.tensor(ids[common:]))

    def step(self, token_id: int) -> Any:
        """Logits (float32) after one more token: the prompt's arithmetic on a vector, with fewer calls."""
        import torch

        position = self.position
        cos, sin = self.cos[position], self.sin[position]  # (1, head_dim), broadcast over heads
        with torch.inference_mode():
            x = self.embed[token_id]
            for index, layer in enumerate(self.layers):
                x = layer["o"].add_vector(x, self._attend_one(rms_norm(x, layer["in_norm"], self.eps), layer, index,
                                                              cos, sin, position))
                gate_up = layer["gate_up"].vector(rms_norm(x, layer["post_norm"], self.eps))
                half = gate_up.shape[0] // 2
                x = layer["down"].add_vector(x, torch.nn.functional.silu(gate_up[:half]) * gate_up[half:])
            self.position = position + 1
            self.cached_ids[position:] = [token_id]
            return self.lm_head.vector(rms_norm(x, self.norm, self.eps)).float()

    def cache_bytes(self, capacity: int) -> int:
        """Bytes of keys and values for one sequence of `capacity` positions."""
        return 2 * len(self.layers) * self.kv_heads * capacity * self.head_dim * self.embed.element_size()

    def batch(self, width: int, capacity: int) -> Any:
        """A `LlamaBatch` of `width` replies decoded side by side on these weights (chat/fast_llama_batch.py)."""
        from botsmith.chat.fast_llama_batch import LlamaBatch

        return LlamaBatch(self, width, capacity)

    def batch_problem(self) -> str | None:
        """Why a batch would not compute this model's logits as this pass does, or None (probed once)."""
        from botsmith.chat.fast_llama_batch import probe_batch

        if not hasattr(self, "_batch_problem"):
            self._batch_problem = probe_batch(self)
        return self._batch_problem

    def _rope(self, capacity: int) -> None:
        """cos and sign-folded sin tables from the model's own rotary module (so RoPE scaling types carry over)."""
        import torch

        positions = torch.arange(capacity).unsqueeze(0)
        cos, sin = self.model.model.rotary_emb(self.embed[:1].unsqueeze(0), positions)
        half = self.head_dim // 2
        # rotate_half(x) = cat(-x2, x1) = roll(x, half) * sign: the sign goes into sin once, exactly.
        sign = torch.cat([-torch.ones(half), torch.ones(half)]).to(sin.dtype)
        self.cos, self.sin = cos[0].unsqueeze(1), (sin[0] * sign).unsqueeze(1)  # (capacity, 1, head_dim)

    def _forward(self, ids: Any) -> Any:
        import torch
        import torch.nn.functional as F

        start, count = self.position, ids.shape[0]
        end = start + count
        cos, sin = self.cos[start:end], self.sin[start:end]
        # After a cached prefix, token i sees positions 0..start+i: sdpa's is_causal would align it with 0..i.
        mask = torch.ones(count, end, dtype=torch.bool).tril(start) if start and count > 1 else None
        with torch.inference_mode():
            x = F.embedding(ids, self.embed)
            for index, layer in enumerate(self.layers):
                h = rms_norm(x, layer["in_norm"], self.eps)
                x = x + self._attention(h, layer, index, cos, sin, (start, end), mask)
                gate, up = layer["gate_up"].rows(rms_norm(x, layer["post_norm"], self.eps)).chunk(2, dim=-1)
                x = x + layer["down"].rows(F.silu(gate) * up)
            self.position = end
            return self.lm_head.vector(rms_norm(x[-1], self.norm, self.eps)).float()

    def _attention(self, h: Any, layer: dict, index: int, cos: Any, sin: Any, span: tuple[int, int],
                   mask: Any) -> Any:
        import torch
        import torch.nn.functional as F

        (start, end), count, dim = span, h.shape[0], self.head_dim
        qkv = layer["qkv"].rows(h).view(count, self.heads + 2 * self.kv_heads, dim)
        rotated = self.heads + self.kv_heads
        qk = qkv[:, :rotated]
        qk = qk * cos + torch.roll(qk, dim // 2, dims=-1) * sin  # (count, heads + kv_heads, dim)
        keys, values = self.cache[0][index], self.cache[1][index]
        keys[:, start:end] = qk[:, self.heads:].transpose(0, 1)
        values[:, start:end] = qkv[:, rotated:].transpose(0, 1)
        query = qk[:, :self.heads].transpose(0, 1).unsqueeze(0)
        out = F.scaled_dot_product_attention(query, keys[:, :end].unsqueeze(0), values[:, :end].unsqueeze(0),
                                             attn_mask=mask, is_causal=count > 1 and mask is None, enable_gqa=True)
        return layer["o"].rows(out[0].transpose(0, 1).reshape(count, self.heads * dim))

    def _attend_one(self, h: Any, layer: dict, index: int, cos: Any, sin: Any, position: int) -> Any:
        """`_attention` for a single new token, as vectors: no causal mask, no transposes, one-slot cache writes."""
        import torch
        import torch.nn.functional as F

        dim, rotated = self.head_dim, self.heads + self.kv_heads
        qkv = layer["qkv"].vector(h)
        qk = qkv[:rotated * dim].view(rotated, dim)
        qk = qk * cos + torch.roll(qk, dim // 2, dims=-1) * sin
        keys, values = self.cache[0][index], self.cache[1][index]
        keys.select(1, position).copy_(qk[self.heads:])
        values.select(1, position).copy_(qkv[rotated * dim:].view(self.kv_heads, dim))
        end = position + 1
        out = F.scaled_dot_product_attention(qk[:self.heads].view(1, self.heads, 1, dim), keys[None, :, :end],
                                             values[None, :, :end], enable_gqa=True)
        return out.view(self.heads * dim)


def rms_norm(x: Any, weight: Any, eps: float) -> Any:
    """LlamaRMSNorm's arithmetic (float32 statistics, rounded to the model's dtype, then the weight) in two calls."""
    import torch.nn.functional as F

    return F.rms_norm(x, (x.shape[-1],), None, eps) * weight


def _fuse(layer: Any, weights: str) -> dict:
    """One layer's weights, q/k/v and gate/up concatenated; the modules' parameters become views of them."""
    import torch

    attention, mlp = layer.self_attn, layer.mlp
    parts = [attention.q_proj, attention.k_proj, attention.v_proj]
    qkv = torch.cat([module.weight for module in parts])
    gate_up = torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight])
    for fused, modules in ((qkv, parts), (gate_up, [mlp.gate_proj, mlp.up_proj])):
        offset = 0
        for module in modules:
            rows = module.weight.shape[0]
            module.weight.data = fused[offset:offset + rows]
            offset += rows
    matrices = {"qkv": qkv, "gate_up": gate_up, "o": attention.o_proj.weight, "down": mlp.down_proj.weight}
    return {**{name: projection(weight, weights) for name, weight in matrices.items()},
            "in_norm": layer.input_layernorm.weight, "post_norm": layer.post_attention_layernorm.weight}
