"""A lean forward pass for Llama-family models: the engine's fast path on CPU.

Decoding one token at a time is dominated by two costs: reading every weight once
per token (memory bandwidth) and the ~15 small tensor operations per layer that
transformers' modules dispatch, each with Python and allocation overhead. This
pass does the same arithmetic as `LlamaForCausalLM` with fewer, larger operations:

  - q/k/v and gate/up projections run as one matrix-vector product each, over
    weights concatenated once (the model's own parameters become views into them,
    so no memory is duplicated and the generic path still works);
  - RMSNorm is one `rms_norm` call, RoPE rotates queries and keys together;
  - keys and values go into a cache preallocated for the whole reply.

Only plain Llama layers qualify (no biases, SiLU, no tensor-parallel slicing, CPU);
anything else returns None from `fast_runner` and the engine keeps transformers'
modules. Greedy tokens match the generic path (tests/chat/test_fast_llama.py).
"""

from __future__ import annotations

from typing import Any

SUPPORTED = {"LlamaForCausalLM"}


def fast_runner(model: Any) -> "FastLlama | None":
    """The fast pass for `model`, or None when it is not a plain Llama on CPU."""
    if type(model).__name__ not in SUPPORTED:
        return None
    config = model.config
    plain = (not getattr(config, "attention_bias", False) and not getattr(config, "mlp_bias", False)
             and getattr(config, "hidden_act", None) == "silu" and getattr(config, "pretraining_tp", 1) == 1)
    weight = model.get_input_embeddings().weight
    if not plain or weight.device.type != "cpu":
        return None
    return FastLlama(model)


class FastLlama:
    def __init__(self, model: Any) -> None:
        import torch

        config = model.config
        self.model = model
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.hidden = config.hidden_size
        self.eps = config.rms_norm_eps
        with torch.no_grad():
            self.layers = [_fuse(layer) for layer in model.model.layers]
        self.embed = model.model.embed_tokens.weight
        self.norm = model.model.norm.weight
        self.lm_head = model.lm_head.weight
        self.dtype = self.embed.dtype
        self.cache: tuple[Any, Any] | None = None

    def stale(self) -> bool:
        """True when the model's weights were replaced since (e.g. `.to(dtype)`, a new adapter merged)."""
        attention = self.model.model.layers[0].self_attn
        return (attention.q_proj.weight.data_ptr() != self.layers[0]["qkv"].data_ptr()
                or self.model.lm_head.weight.data_ptr() != self.lm_head.data_ptr())

    def prefill(self, ids: list[int], capacity: int) -> Any:
        """Logits (float32, one row) after the prompt; the cache gets room for `capacity` positions."""
        import torch

        shape = (len(self.layers), self.kv_heads, capacity, self.head_dim)
        self.cache = (torch.empty(shape, dtype=self.dtype), torch.empty(shape, dtype=self.dtype))
        self._rope(capacity)
        self.position = 0
        return self._forward(torch.tensor(ids))

    def step(self, token_id: int) -> Any:
        import torch

        return self._forward(torch.tensor([token_id]))

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
        with torch.inference_mode():
            x = F.embedding(ids, self.embed)
            for index, layer in enumerate(self.layers):
                x = x + self._attention(_rms_norm(x, layer["in_norm"], self.eps), layer, index, cos, sin, start, end)
                gate, up = _linear(_rms_norm(x, layer["post_norm"], self.eps), layer["gate_up"]).chunk(2, dim=-1)
                x = x + _linear(F.silu(gate) * up, layer["down"])
            self.position = end
            return _linear(_rms_norm(x[-1:], self.norm, self.eps), self.lm_head)[0].float()

    def _attention(self, h: Any, layer: dict, index: int, cos: Any, sin: Any, start: int, end: int) -> Any:
        import torch
        import torch.nn.functional as F

        count, dim = h.shape[0], self.head_dim
        qkv = _linear(h, layer["qkv"]).view(count, self.heads + 2 * self.kv_heads, dim)
        rotated = self.heads + self.kv_heads
        qk = qkv[:, :rotated]
        qk = qk * cos + torch.roll(qk, dim // 2, dims=-1) * sin  # (count, heads + kv_heads, dim)
        keys, values = self.cache[0][index], self.cache[1][index]
        keys[:, start:end] = qk[:, self.heads:].transpose(0, 1)
        values[:, start:end] = qkv[:, rotated:].transpose(0, 1)
        query = qk[:, :self.heads].transpose(0, 1).unsqueeze(0)
        out = F.scaled_dot_product_attention(query, keys[:, :end].unsqueeze(0), values[:, :end].unsqueeze(0),
                                             is_causal=count > 1, enable_gqa=True)
        return _linear(out[0].transpose(0, 1).reshape(count, self.heads * dim), layer["o"])


def _linear(x: Any, weight: Any) -> Any:
    """x @ weight.T; one row goes through `mv`, whose bf16 kernel is ~1.5x faster than `linear`'s here."""
    import torch
    import torch.nn.functional as F

    return torch.mv(weight, x[0]).unsqueeze(0) if x.shape[0] == 1 else F.linear(x, weight)


def _rms_norm(x: Any, weight: Any, eps: float) -> Any:
    """LlamaRMSNorm's arithmetic step for step (float32 statistics, then the weight in the model's dtype)."""
    import torch

    hidden = x.float()
    hidden = hidden * torch.rsqrt(hidden.pow(2).mean(-1, keepdim=True) + eps)
    return weight * hidden.to(x.dtype)


def _fuse(layer: Any) -> dict:
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
    return {"qkv": qkv, "gate_up": gate_up, "o": attention.o_proj.weight, "down": mlp.down_proj.weight,
            "in_norm": layer.input_layernorm.weight, "post_norm": layer.post_attention_layernorm.weight}
