"""The fused SwiGLU computes what transformers computes; a refused generated RMSNorm leaves the ATen one serving."""

from __future__ import annotations

import pytest
import torch

from botsmith.train import rms_norm
from botsmith.train.sibling_lora import _side_by_side
from botsmith.train.swiglu import SwiGLUFunction, use_fused_swiglu
from tests.train.conftest import generated_kernels_work

needs_compiler = pytest.mark.skipif(not generated_kernels_work(),
                                    reason="no C++ compiler for torch's inductor here: the generated kernels cannot be built")


@needs_compiler
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_swiglu_function_matches_silu_times_up_and_writes_both_gradients_into_one_tensor(dtype):
    torch.manual_seed(0)
    both = (torch.randn(40, 2 * 24) * 3).to(dtype)  # gate and up as the sibling matmul makes them: one tensor's halves
    gate, up = (part.detach().requires_grad_(True) for part in both.split(24, 1))
    grad = torch.randn(40, 24).to(dtype)
    expected = torch.nn.functional.silu(gate.float()) * up.float()  # fp32 reference
    expected.backward(grad.float())
    reference = (expected.detach(), gate.grad.clone(), up.grad.clone())
    gate.grad = up.grad = None
    out = SwiGLUFunction.apply(gate, up)
    out.backward(grad)
    limit = 1e-5 if dtype == torch.float32 else 2 ** -7  # bf16: one rounding of each result
    for ours, theirs in zip((out.detach(), gate.grad, up.grad), reference):
        assert ours.dtype == dtype
        assert float((ours.float() - theirs).abs().max()) <= limit * float(theirs.abs().max())
    grad_gate, grad_up = SwiGLUFunction.backward(_Saved(gate, up, shape=gate.shape), grad)
    assert grad_up.data_ptr() == grad_gate.data_ptr() + 24 * grad_gate.element_size()  # side by side, in one tensor
    joined = _side_by_side([grad_gate, grad_up])
    assert joined.data_ptr() == grad_gate.data_ptr()  # used as it is, no copy
    assert torch.equal(joined, torch.cat([grad_gate, grad_up], 1))


class _Saved:
    """What backward reads of autograd's context."""

    def __init__(self, *tensors: torch.Tensor, shape: torch.Size) -> None:
        self.saved_tensors, self.shape = tensors, shape


def test_gradients_from_separate_tensors_are_concatenated():
    a, b = torch.randn(5, 3), torch.randn(5, 4)
    assert torch.equal(_side_by_side([a, b]), torch.cat([a, b], 1))
    whole = torch.randn(5, 7)
    swapped = [whole[:, 3:], whole[:, :3]]  # one tensor's blocks, but out of order
    assert torch.equal(_side_by_side(swapped), torch.cat(swapped, 1))


def test_a_wrong_compiled_rms_norm_is_refused_and_the_aten_kernel_serves(monkeypatch, tiny_llama):
    from transformers import AutoModelForCausalLM

    compiled_function, aten_function = rms_norm.FUNCTIONS

    class Wrong(compiled_function):
        @staticmethod
        def forward(ctx, x, weight, eps):
            return compiled_function.forward(ctx, x, weight, eps) * 1.01

    monkeypatch.setattr(rms_norm, "FUNCTIONS", (Wrong, aten_function))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    failures: list[str] = []
    assert rms_norm.use_fast_rms_norm(model, failures) == 2 * model.config.num_hidden_layers + 1
    assert len(failures) == 1 and "uses the ATen kernel, the compiled one was refused" in failures[0]
    out = model.model.norm(torch.randn(2, 3, model.config.hidden_size, requires_grad=True))
    assert type(out.grad_fn).__name__ == "RMSNormFunctionBackward"


@needs_compiler
def test_only_silu_mlps_get_the_fused_forward(tiny_llama):
    from transformers import AutoModelForCausalLM, GemmaConfig, GemmaForCausalLM

    llama = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    ids = torch.randint(3, 400, (2, 12))
    with torch.no_grad():
        before = llama(input_ids=ids).logits
        assert use_fused_swiglu(llama) == llama.config.num_hidden_layers
        after = llama(input_ids=ids).logits
    assert (before - after).abs().max() <= 1e-5 * before.abs().max()
    gemma = GemmaForCausalLM(GemmaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                                         num_key_value_heads=2, vocab_size=100, head_dim=8))
    assert use_fused_swiglu(gemma) == 0  # gelu: not SwiGLU
