"""The CPU training attention computes what sdpa computes, forward and backward, and stays out of the way elsewhere."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from botsmith.train.attention import NAME, FlashForwardMatmulBackward, attention_forward, use_cpu_attention


def _inputs(dtype, heads, kv_heads, length=40, dim=16, batch=2, spread=2.0):
    """q, k, v laid out as the model makes them: (B, L, H, D) storage seen as (B, H, L, D)."""
    torch.manual_seed(0)
    make = lambda h: (torch.randn(batch, length, h, dim) * spread).to(dtype).transpose(1, 2)  # noqa: E731
    return make(heads), make(kv_heads), make(kv_heads) / spread, torch.randn(batch, length, heads, dim).to(dtype).transpose(1, 2)


def _float64_reference(q, k, v, grad, mask):
    q, k, v = (t.detach().double().requires_grad_(True) for t in (q, k, v))
    groups = q.shape[1] // k.shape[1]
    out = F.scaled_dot_product_attention(q, k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1),
                                         attn_mask=mask, is_causal=mask is None, scale=1 / math.sqrt(q.shape[-1]))
    out.backward(grad.double())
    return out.detach(), q.grad, k.grad, v.grad


def _packed_mask(batch, length):
    """Block-diagonal causal mask of two packed examples per row (the second starting at 15), as transformers builds it."""
    segment = (torch.arange(length) >= 15).long()
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    return (causal & (segment[:, None] == segment[None, :])).expand(batch, 1, length, length).contiguous()


@pytest.mark.parametrize("dtype,tolerance", [(torch.float32, 1e-5), (torch.bfloat16, 2 ** -7)])  # bf16: one rounding step
@pytest.mark.parametrize("heads,kv_heads", [(4, 4), (6, 2)])
@pytest.mark.parametrize("packed", [False, True])
def test_gradients_match_float64_as_closely_as_sdpa(dtype, tolerance, heads, kv_heads, packed):
    q, k, v, grad = _inputs(dtype, heads, kv_heads)
    mask = _packed_mask(q.shape[0], q.shape[2]) if packed else None
    expected = _float64_reference(q, k, v, grad, mask)
    errors = {}
    for name in ("sdpa", "ours"):
        qq, kk, vv = (t.detach().requires_grad_(True) for t in (q, k, v))
        if name == "ours":
            out = FlashForwardMatmulBackward.apply(qq, kk, vv, mask, 1 / math.sqrt(q.shape[-1]))
        else:
            out = F.scaled_dot_product_attention(qq, kk, vv, attn_mask=mask, is_causal=mask is None, enable_gqa=True)
        out.backward(grad)
        errors[name] = [float((a.detach().double() - b).norm() / b.norm()) for a, b in zip((out, qq.grad, kk.grad, vv.grad), expected)]
    for ours, theirs in zip(errors["ours"], errors["sdpa"]):
        # within 1.5x of sdpa's own error: a wrong mask, group layout or scale is off by 30% or more, and rounding
        # the log-sum-exp to bf16 before subtracting it (no low half) triples the gradients' error
        assert ours <= max(tolerance, 1.5 * theirs), errors


@pytest.mark.parametrize("packed", [False, True])
def test_long_sequences_are_done_a_few_matrices_at_a_time(monkeypatch, packed):
    from botsmith.train import attention

    q, k, v, grad = _inputs(torch.float32, 6, 2)
    mask = _packed_mask(q.shape[0], q.shape[2]) if packed else None
    results = []
    for budget in (attention.PROBABILITY_ELEMENTS, 3 * 40 * 40):  # all four matrices at once; one at a time
        monkeypatch.setattr(attention, "PROBABILITY_ELEMENTS", budget)
        qq, kk, vv = (t.detach().requires_grad_(True) for t in (q, k, v))
        FlashForwardMatmulBackward.apply(qq, kk, vv, mask, 0.25).backward(grad)
        results.append((qq.grad, kk.grad, vv.grad))
    for whole, chunked in zip(*results):
        assert torch.allclose(whole, chunked, atol=1e-6)


def test_a_row_that_attends_nothing_gets_no_gradient():
    q, k, v, grad = _inputs(torch.float32, 2, 2, length=8)
    mask = torch.ones(8, 8, dtype=torch.bool).tril().expand(2, 1, 8, 8).clone()
    mask[:, :, 3] = False
    q.requires_grad_(True)
    FlashForwardMatmulBackward.apply(q, k, v, mask, 0.25).backward(grad)
    assert torch.isfinite(q.grad).all()
    assert q.grad[:, :, 3].abs().max() == 0


def test_a_hidden_score_far_above_its_rows_scores_gives_finite_gradients():
    # A packed row's earlier example can hold a key (an "attention sink" token) whose score against the next
    # example's queries exceeds everything they may see by more than exp's bf16 range: masked out, it must be 0, not NaN.
    q, k, v, grad = _inputs(torch.bfloat16, 2, 2)
    k = k.clone()
    k[:, :, 0] = q[:, :, 20:].mean(2) * 400  # key 0 (first example) aligned with the second example's queries
    mask = _packed_mask(q.shape[0], q.shape[2])
    qq, kk, vv = (t.detach().requires_grad_(True) for t in (q, k, v))
    FlashForwardMatmulBackward.apply(qq, kk, vv, mask, 0.25).backward(grad)
    expected = _float64_reference(q, k, v, grad, mask)
    for ours, theirs in zip((qq.grad, kk.grad, vv.grad), expected[1:]):
        assert torch.isfinite(ours).all()
        assert float((ours.double() - theirs).norm() / theirs.norm()) <= 2e-2


class _Attention(torch.nn.Module):
    is_causal = True
    num_key_value_groups = 3


def _graph(tensor):
    """Names of the autograd nodes behind `tensor`."""
    names, todo = set(), [tensor.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and type(node).__name__ not in names:
            names.add(type(node).__name__)
            todo.extend(next_node for next_node, _ in node.next_functions)
    return names


def test_the_interface_falls_back_to_sdpa_where_it_does_not_apply():
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    q, k, v, _ = _inputs(torch.float32, 6, 2)
    q.requires_grad_(True)
    module = _Attention()
    ours = attention_forward(module, q, k, v, None)[0]
    assert ours.shape == (2, 40, 6, 16) and ours.is_contiguous()  # what sdpa's returns
    assert "FlashForwardMatmulBackwardBackward" in _graph(ours)
    for kwargs in ({"dropout": 0.1}, {"sliding_window": 4}, {"softcap": None, "sliding_window": 4}):
        torch.manual_seed(1)
        ours = attention_forward(module, q, k, v, None, **kwargs)[0]
        torch.manual_seed(1)
        theirs = sdpa_attention_forward(module, q, k, v, None, **kwargs)[0]
        assert torch.equal(ours, theirs) and "FlashForwardMatmulBackwardBackward" not in _graph(ours)
    float_mask = torch.zeros(2, 1, 40, 40)
    assert "FlashForwardMatmulBackwardBackward" not in _graph(attention_forward(module, q, k, v, float_mask)[0])
    with torch.no_grad():  # inference: sdpa's, untouched
        out = attention_forward(module, q, k, v, None)[0]
    assert torch.equal(out, sdpa_attention_forward(module, q, k, v, None)[0])


def test_a_model_trains_the_same_with_it(tiny_llama):
    """A tiny Llama with grouped-query heads: loss and every gradient as with transformers' sdpa."""
    from transformers import AutoModelForCausalLM

    results = []
    for install in (False, True):
        model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
        assert model.config._attn_implementation == "sdpa"
        if install:
            assert use_cpu_attention(model) and model.config._attn_implementation == NAME
        torch.manual_seed(0)
        ids = torch.randint(3, 400, (2, 24))
        positions = torch.cat([torch.arange(10), torch.arange(14)]).expand(2, 24)  # two packed examples a row
        loss = model(input_ids=ids, labels=ids).loss + model(input_ids=ids, position_ids=positions, labels=ids).loss
        loss.backward()
        results.append((loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}))
    (loss_a, grads_a), (loss_b, grads_b) = results
    assert torch.allclose(loss_a, loss_b, atol=1e-6)
    for name, grad in grads_a.items():
        assert torch.allclose(grad, grads_b[name], atol=1e-5, rtol=1e-4), name


def test_only_sdpa_models_are_rerouted(tiny_llama):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32, attn_implementation="eager")
    assert not use_cpu_attention(model)
    assert model.config._attn_implementation == "eager"
