"""The CPU kernels against PEFT and transformers, in fp32 and bf16; probes that refuse a wrong kernel; the switch."""

from __future__ import annotations

import copy

import pytest
import torch

from botsmith.train import attention, dropout, loss, rms_norm, rotary, sibling_lora, swiglu
from botsmith.train.cpu_kernels import install_cpu_kernels
from botsmith.train.loss import LossComputer
from botsmith.train.prepare import find_target_modules
from tests.train.conftest import generated_kernels_work

# Relative to the reference's largest magnitude: fp32 differs in summation order, bf16 rounds elsewhere too.
TOLERANCE = {torch.float32: 1e-4, torch.bfloat16: 5e-2}


def _peft_model(dtype, *, dropout_p=0.0, seed=3):
    """A tiny grouped-query Llama with LoRA on every linear layer of its blocks, B non-zero, as PEFT makes it."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    base = LlamaForCausalLM(LlamaConfig(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=6,
                                        num_key_value_heads=2, vocab_size=300)).to(dtype)
    base.config._attn_implementation = "sdpa"
    torch.manual_seed(seed)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout_p,
                                            target_modules=find_target_modules(base)), autocast_adapter_dtype=False)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.1)
    return model


def _batch():
    torch.manual_seed(1)
    ids = torch.randint(0, 300, (2, 16))
    positions = torch.cat([torch.arange(6), torch.arange(10)]).expand(2, 16)  # two packed examples a row
    labels = ids.clone()
    labels[0, :3] = -100
    return {"input_ids": ids, "position_ids": positions, "labels": labels}


def _loss_and_grads(model, fused: bool):
    model.train()
    computed = LossComputer(model, fused=fused)(_batch())
    computed.backward()
    return computed.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def _close(ours, theirs, dtype) -> bool:
    scale = float(theirs.float().abs().max()) or 1.0
    return float((ours.float() - theirs.float()).abs().max()) <= TOLERANCE[dtype] * scale


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_every_kernel_together_gives_peft_and_transformers_loss_and_gradients(dtype):
    plain, fast = _peft_model(dtype), _peft_model(dtype)
    report = install_cpu_kernels(fast, lora=True)
    assert set(report.active) == {"fused LoRA forward", "sibling LoRA groups", "RMSNorm", "attention backward",
                                  *(["SwiGLU", "rotary attention"] if generated_kernels_work() else [])}
    assert len(report.failures) == (0 if generated_kernels_work() else 3)  # (no dropout: p = 0 keeps PEFT's Identity)
    loss_plain, grads_plain = _loss_and_grads(plain, fused=False)
    loss_fast, grads_fast = _loss_and_grads(fast, fused=True)
    assert _close(loss_fast, loss_plain, dtype)
    assert len(grads_fast) == len(grads_plain) == 28
    for name, grad in grads_plain.items():
        assert _close(grads_fast[name], grad, dtype), name


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_lora_dropout_and_fused_forward_match_peft_given_the_same_draws(monkeypatch, dtype):
    monkeypatch.setattr(dropout, "SHARE_SIBLING_MASKS", False)  # PEFT draws a mask per layer
    plain, fast = _peft_model(dtype, dropout_p=0.2), _peft_model(dtype, dropout_p=0.2)
    failures: list[str] = []
    assert dropout.use_fast_dropout(plain, failures) == 14  # the same masks as the fast model draws
    assert dropout.use_fast_lora_forward(fast, failures) == 14 and dropout.use_fast_dropout(fast, failures) == 14
    assert not failures
    ids = torch.randint(0, 300, (2, 16))
    outputs = []
    for model in (plain, fast):
        model.train()
        torch.manual_seed(5)
        logits = model(input_ids=ids, use_cache=False).logits
        logits.float().square().mean().backward()
        outputs.append((logits.detach(), {n: p.grad for n, p in model.named_parameters() if p.requires_grad}))
    (logits_plain, grads_plain), (logits_fast, grads_fast) = outputs
    assert _close(logits_fast, logits_plain, dtype)
    for name, grad in grads_plain.items():
        assert _close(grads_fast[name], grad, dtype), name


def _scaled(function, factor=1.01):
    def wrong(*args, **kwargs):
        out = function(*args, **kwargs)
        if isinstance(out, tuple):
            return tuple(o * factor if isinstance(o, torch.Tensor) else o for o in out)
        return out * factor
    return wrong


def _break_rms_norm(monkeypatch):
    wrong = []
    for function in rms_norm.FUNCTIONS:  # the compiled kernel and the ATen one it falls back to
        wrong.append(type(f"Wrong{function.__name__}", (function,), {"apply": staticmethod(_scaled(function.apply))}))
    monkeypatch.setattr(rms_norm, "FUNCTIONS", tuple(wrong))


SABOTAGE = {  # each makes one kernel compute 1% too much
    "RMSNorm": _break_rms_norm,
    "attention backward": lambda mp: mp.setattr(attention, "attention_forward", _scaled(attention.attention_forward)),
    "fused LoRA forward": lambda mp: mp.setattr(dropout, "fast_lora_forward", _scaled(dropout.fast_lora_forward)),
    "SwiGLU": lambda mp: mp.setattr(swiglu, "fused_mlp_forward", _scaled(swiglu.fused_mlp_forward)),
    "rotary attention": lambda mp: mp.setattr(rotary, "own_attention_forward", _scaled(rotary.own_attention_forward)),
    "sibling LoRA groups": lambda mp: mp.setattr(sibling_lora.SiblingGroup, "_run",
                                                 _scaled(sibling_lora.SiblingGroup._run)),
}


@pytest.mark.parametrize("kernel", sorted(SABOTAGE))
def test_a_kernel_that_computes_something_else_is_refused_and_logged(monkeypatch, kernel):
    if kernel in ("SwiGLU", "rotary attention") and not generated_kernels_work():
        pytest.skip(f"no C++ compiler for torch's inductor here: {kernel} is never installed")
    SABOTAGE[kernel](monkeypatch)
    model = _peft_model(torch.float32)
    report = install_cpu_kernels(model, lora=True)
    assert kernel not in report.active
    # the others still pass their probes (the rotary attention forward runs only with the attention kernel)
    expected = 6 if generated_kernels_work() else 4
    assert len(report.active) == expected - 1 - (kernel == "attention backward" and generated_kernels_work())
    failed = [line for line in report.lines() if line.startswith("kernel probe failed") and "differs by" in line]
    assert failed


def test_a_wrong_fused_loss_is_refused_and_logged(monkeypatch):
    class Wrong(loss.FusedLinearCrossEntropy):
        apply = staticmethod(_scaled(loss.FusedLinearCrossEntropy.apply))
    monkeypatch.setattr(loss, "FusedLinearCrossEntropy", Wrong)
    computer = LossComputer(_peft_model(torch.float32))
    assert computer.head is None and "loss differs by" in computer.failure


def test_a_fused_loss_within_float32_summation_noise_is_taken(monkeypatch):
    # off by 3e-4: what summing a 49k vocabulary in another order gives in float32 (loss.VOCABULARY_TOLERANCE)
    class Noisy(loss.FusedLinearCrossEntropy):
        apply = staticmethod(_scaled(loss.FusedLinearCrossEntropy.apply, factor=1 + 3e-4))
    monkeypatch.setattr(loss, "FusedLinearCrossEntropy", Noisy)
    computer = LossComputer(_peft_model(torch.float32))
    assert computer.head is not None and computer.failure is None


def test_a_head_that_soft_caps_logits_keeps_the_models_own_loss():
    """No config flag is consulted: the probe sees the head's logits are not the model's."""
    model = _peft_model(torch.float32)
    model.get_base_model().config.final_logit_softcapping = 1.0  # Llama ignores it
    assert LossComputer(model).head is not None
    original = type(model.get_base_model()).forward

    def capped(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        out.logits = torch.tanh(out.logits)
        return out

    type(model.get_base_model()).forward = capped
    try:
        computer = LossComputer(model)
    finally:
        type(model.get_base_model()).forward = original
    assert computer.head is None and "logits" in computer.failure


def test_probes_leave_the_random_stream_and_the_weights_as_they_were():
    model = _peft_model(torch.float32)
    before = copy.deepcopy({n: p.detach().clone() for n, p in model.named_parameters()})
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    install_cpu_kernels(model, lora=True)
    LossComputer(model)
    assert torch.equal(torch.rand(3), expected)
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter, before[name]), name


def test_a_run_names_its_kernels_and_leaves_the_process_as_it_found_it(tmp_path, tiny_llama, make_bot):
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    from botsmith.train import train
    from botsmith.train.process_state import flush_denormal_enabled

    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # the bot trains with threads = 1
    try:
        assert not flush_denormal_enabled()
        bot = make_bot(tmp_path / "bot", tiny_llama, lora_dropout=0.05)  # (the default, 0, has no dropout to replace)
        result = train(bot.root, log=lambda line: None)
        assert torch.get_num_threads() == 2 and not flush_denormal_enabled()
    finally:
        torch.set_num_threads(threads)
    log = (result.run_dir / "train.log").read_text()
    swiglu, rotary_attention = ("SwiGLU (2), ", "rotary attention (2), ") if generated_kernels_work() else ("", "")
    assert "kernels: LoRA dropout (14), fused LoRA forward (14), sibling LoRA groups (4), RMSNorm (5), " \
           f"{swiglu}attention backward, {rotary_attention}fused loss" in log
    assert ("kernel probe failed" not in log) == generated_kernels_work()
    assert "denormal floats flush to zero during the run" in log
    assert attention.NAME not in AttentionInterface._global_mapping
    assert attention.NAME not in AttentionMaskInterface._global_mapping


def test_cli_no_cpu_kernels_trains_with_transformers_and_peft_modules(llama_bot):
    from tests.train.test_train import run_cli

    done = run_cli("train", str(llama_bot.root), "--no-cpu-kernels", "--max-steps", "2")
    assert done.returncode == 0, done.stderr
    assert "kernels: transformers' and PEFT's own ([train] cpu_kernels = false)" in done.stderr
    assert "denormal" not in done.stderr
