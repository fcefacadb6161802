"""The CPU training kernels compute what transformers and PEFT compute: RMSNorm, dropout bit masks, shared sibling masks."""

from __future__ import annotations

import pytest
import torch

from botsmith.train import dropout, rms_norm
from botsmith.train.rms_norm import RMSNormFunction, use_fast_rms_norm
from tests.train.conftest import generated_kernels_work


@pytest.mark.parametrize("function", rms_norm.FUNCTIONS, ids=lambda function: function.__name__)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rms_norm_functions_match_llama_rms_norm(dtype, function):
    from transformers.models.llama.modeling_llama import LlamaRMSNorm

    if function is not RMSNormFunction and not generated_kernels_work():
        pytest.skip("no C++ compiler for torch's inductor here: the generated kernel cannot be built")

    torch.manual_seed(0)
    norm = LlamaRMSNorm(64, eps=1e-5).to(dtype)
    torch.nn.init.normal_(norm.weight)
    x = (torch.randn(3, 7, 64) * 3).to(dtype).requires_grad_(True)
    grad_out = torch.randn(3, 7, 64).to(dtype)
    before = x.detach().clone()
    norm(x).backward(grad_out)
    expected = (norm(x).detach(), x.grad.clone(), norm.weight.grad.clone())
    x.grad, norm.weight.grad = None, None
    out = function.apply(x, norm.weight, 1e-5)
    out.backward(grad_out)
    # bf16: the ATen kernel rounds in the same places; the generated one too, but sums in another order
    tolerance = 1e-5 if dtype == torch.float32 else 0.0 if function is RMSNormFunction else 2 ** -7
    assert torch.equal(x.detach(), before)  # the input is never changed in place
    for ours, theirs in zip((out.detach(), x.grad, norm.weight.grad), expected):
        assert (ours.float() - theirs.float()).abs().max() <= tolerance * theirs.float().abs().max()
    if dtype == torch.bfloat16:  # the normalised value is rounded before the weight, as transformers does
        assert (out.detach() == expected[0]).float().mean() > 0.99


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_norms_are_swapped_only_where_the_probe_finds_llamas_arithmetic(tiny_llama, dtype):
    from transformers import AutoModelForCausalLM, GemmaConfig, GemmaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=dtype)
    layers = model.config.num_hidden_layers
    ids = torch.randint(3, 400, (2, 12))
    failures: list[str] = []
    with torch.no_grad():
        before = model(input_ids=ids).logits
        assert use_fast_rms_norm(model, failures) == 2 * layers + 1 and not _unexpected(failures)
        after = model(input_ids=ids).logits
    assert (before.float() - after.float()).abs().max() <= (1e-5 if dtype == torch.float32 else 0.0)
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4, num_key_value_heads=2,
                 vocab_size=100, head_dim=8)
    qwen = Qwen2ForCausalLM(Qwen2Config(**small)).to(dtype)
    assert use_fast_rms_norm(qwen, failures) == 3 and not _unexpected(failures)  # Llama's arithmetic, another name
    gemma = GemmaForCausalLM(GemmaConfig(**small)).to(dtype)
    assert use_fast_rms_norm(gemma, failures) == 0  # (1 + weight): keeps its own, and the log says why
    assert len(_unexpected(failures)) == 1 and "GemmaRMSNorm keeps its own forward" in _unexpected(failures)[0]


def _unexpected(failures: list[str]) -> list[str]:
    """The probe failures, less the generated kernel's refusal where no C++ compiler can build it (ATen's serves)."""
    return [line for line in failures if generated_kernels_work() or "the compiled one was refused" not in line]


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_bit_masks_drop_what_the_bool_mask_drops(monkeypatch, dtype):
    x = torch.randn(300, 70).to(dtype).requires_grad_(True)
    results = []
    for bit_masks in (False, True):
        monkeypatch.setattr(dropout, "USE_BIT_MASKS", bit_masks)
        torch.manual_seed(0)
        dropped = dropout._keep_mask(x, 0.1)
        grad = torch.randn_like(dropped)
        x.grad = None
        dropped.backward(grad)
        results.append((dropped.detach(), x.grad.clone()))
    (bool_out, bool_grad), (bit_out, bit_grad) = results
    assert torch.equal(bool_out, bit_out) and torch.equal(bool_grad, bit_grad)
    assert abs((bit_out == 0).float().mean().item() - 0.1) < 0.01


def test_sibling_projections_share_one_dropout_mask(tiny_llama):
    """q/k/v (and gate/up) read the same dropped input; o and down, and other layers, draw their own."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from botsmith.train.prepare import find_target_modules

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.3, target_modules=find_target_modules(model)))
    dropout.use_fast_dropout(model)
    dropout.use_fast_lora_forward(model)
    seen: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if name.endswith("lora_A.default"):
            key = name.split("base_model.model.model.")[-1].replace(".lora_A.default", "")
            module.register_forward_hook(lambda _m, inputs, _out, key=key: seen.__setitem__(key, inputs[0]))
    model.train()
    model(input_ids=torch.randint(3, 400, (2, 16)), use_cache=False).logits.sum().backward()
    layer = "layers.0"
    q, k, v = (seen[f"{layer}.self_attn.{p}_proj"] for p in "qkv")
    assert q is k is v and (q == 0).any()
    assert seen[f"{layer}.mlp.gate_proj"] is seen[f"{layer}.mlp.up_proj"]
    assert not torch.equal((seen[f"{layer}.self_attn.o_proj"] == 0), (q == 0))
    assert not torch.equal(seen["layers.1.self_attn.q_proj"] == 0, q == 0)
    model.eval()
    with torch.no_grad():
        model(input_ids=torch.randint(3, 400, (2, 16)), use_cache=False)
    assert not (seen[f"{layer}.self_attn.q_proj"] == 0).any()  # no dropout in evaluation


def test_fused_norms_stay_installed_across_train_and_eval(tiny_llama):
    """transformers 5 re-applies its Hub kernels (each norm's own forward) whenever the training mode changes;
    the fused norms must survive the run's first evaluation."""
    from transformers import AutoModelForCausalLM

    from botsmith.train.cpu_kernels import install_cpu_kernels

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.bfloat16)
    report = install_cpu_kernels(model, lora=False)
    assert report.active["RMSNorm"] == 2 * model.config.num_hidden_layers + 1
    model.eval()
    model.train()
    norm = model.model.norm
    out = norm(torch.randn(2, 3, norm.weight.shape[0]).to(torch.bfloat16).requires_grad_(True))
    expected = "CompiledRMSNormFunctionBackward" if generated_kernels_work() else "RMSNormFunctionBackward"
    assert type(out.grad_fn).__name__ == expected  # the generated kernel where it compiles, else the ATen one
