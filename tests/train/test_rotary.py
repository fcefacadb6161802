"""The rotary kernels compute transformers' rotary embeddings, and botsmith's attention forward the module's own."""

from __future__ import annotations

import pytest
import torch
from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

from botsmith.train.rotary import RotaryQKV, use_own_rotary
from tests.train.conftest import generated_kernels_work

pytestmark = pytest.mark.skipif(not generated_kernels_work(),
                                reason="no C++ compiler for torch's inductor here: the generated kernels cannot be built")


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rotary_matches_transformers_and_writes_q_k_v_gradients_into_one_tensor(dtype):
    torch.manual_seed(0)
    batch, length, heads, kv_heads, dim = 2, 10, 6, 2, 16
    projected = torch.randn(batch, length, (heads + 2 * kv_heads) * dim).to(dtype)  # the sibling matmul's output
    q, k, v = (part.detach().requires_grad_(True) for part in projected.split([heads * dim, kv_heads * dim, kv_heads * dim], -1))
    angles = torch.rand(batch, length, dim) * 6.3
    cos, sin = angles.cos().to(dtype), angles.sin().to(dtype)
    grads = [torch.randn(batch, h, length, dim).to(dtype) for h in (heads, kv_heads, kv_heads)]
    view = lambda t: t.view(batch, length, -1, dim).transpose(1, 2)  # noqa: E731  (transformers' layout)
    expected = (*apply_rotary_pos_emb(view(q), view(k), cos, sin), view(v))
    torch.autograd.backward(expected, grads)
    expected_grads = [t.grad.clone() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None
    ours = RotaryQKV.apply(q, k, v, cos, sin, dim)
    grad_q, grad_k, grad_v = torch.autograd.grad(ours, [q, k, v], grads)  # as the Function returns them (no leaf copy)
    for mine, theirs in zip([*ours, grad_q, grad_k, grad_v], [*expected, *expected_grads]):
        assert torch.equal(mine, theirs)  # the same roundings, in the same places
    assert all(t.is_contiguous() for t in ours)  # the layout attention.py's backward reads without copying
    assert grad_k.data_ptr() == grad_q.data_ptr() + heads * dim * grad_q.element_size()  # side by side, one tensor
    assert grad_v.data_ptr() == grad_k.data_ptr() + kv_heads * dim * grad_k.element_size()


def test_only_attention_under_botsmiths_kernel_gets_it_and_inference_keeps_the_modules_own(tiny_llama):
    from transformers import AutoModelForCausalLM

    from botsmith.train.attention import remove_cpu_attention, use_cpu_attention

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    assert use_own_rotary(model) == 0  # transformers' sdpa: its own forward serves
    try:
        assert use_cpu_attention(model)
        failures: list[str] = []
        assert use_own_rotary(model, failures) == model.config.num_hidden_layers and not failures
        ids = torch.randint(3, 400, (2, 12))
        with torch.no_grad():  # inference: the class's forward, through sdpa
            assert model(input_ids=ids).logits.grad_fn is None
        assert "RotaryQKVBackward" not in _graph(model(input_ids=ids).logits)  # a cache: the module's own forward
        assert "RotaryQKVBackward" in _graph(model(input_ids=ids, use_cache=False).logits)  # as training runs it
    finally:
        remove_cpu_attention()


def _graph(tensor):
    """Names of every autograd node behind `tensor`."""
    seen, todo = {}, [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and id(node) not in seen:
            seen[id(node)] = type(node).__name__
            todo.extend(next_node for next_node, _ in node.next_functions)
    return set(seen.values())
