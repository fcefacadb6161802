"""Sibling LoRA layers run as one compute what PEFT's layers compute one by one, and train the same."""

from __future__ import annotations

import copy

import pytest
import torch

from botsmith.train import dropout
from botsmith.train.dropout import use_fast_dropout, use_fast_lora_forward
from botsmith.train.prepare import find_target_modules
from botsmith.train.sibling_lora import use_sibling_lora


def _tiny(kind: str):
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config_class, model_class = {"llama": (LlamaConfig, LlamaForCausalLM), "qwen2": (Qwen2Config, Qwen2ForCausalLM)}[kind]
    return model_class(config_class(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=6,
                                    num_key_value_heads=2, vocab_size=300))


def _lora(base, *, siblings: bool, p: float = 0.2):
    """PEFT's LoRA model; with `siblings`, botsmith's CPU LoRA kernels installed on it (else PEFT's as they come)."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(5)
    model = get_peft_model(copy.deepcopy(base), LoraConfig(r=4, lora_alpha=8, lora_dropout=p,
                                                           target_modules=find_target_modules(base)),
                           autocast_adapter_dtype=False)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.1)  # B starts at zero; make the adapters matter
    if not siblings:
        return model, 0
    use_fast_dropout(model)
    use_fast_lora_forward(model)
    return model, use_sibling_lora(model)


def _train_steps(model, steps=2):
    """Logits of each step and the final trainable weights, with the same data and dropout draws."""
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    torch.manual_seed(1)
    logits = []
    for _ in range(steps):
        ids = torch.randint(0, 300, (2, 10))
        out = model(input_ids=ids, use_cache=False).logits
        out.square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()
        logits.append(out.detach())
    return logits, {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("kind, dtype", [("llama", torch.float32), ("qwen2", torch.float32),  # Qwen2's q/k/v: biases
                                         ("llama", torch.bfloat16)])
def test_siblings_train_like_peft(kind, dtype):
    """Without dropout (siblings share a mask by design, PEFT draws one per layer) two training steps match PEFT's."""
    base = _tiny(kind).to(dtype)
    (separate, _), (together, groups) = _lora(base, siblings=False, p=0.0), _lora(base, siblings=True, p=0.0)
    assert groups == 4  # per layer: q/k/v and gate/up; o and down read tensors of their own
    (logits_a, weights_a), (logits_b, weights_b) = _train_steps(separate), _train_steps(together)
    tolerance = 1e-5 if dtype == torch.float32 else 5e-2  # of the largest magnitude: bf16 rounds in other places
    assert _close(logits_b[0], logits_a[0], tolerance)  # the same weights: the same logits
    assert not torch.allclose(logits_a[0].float(), logits_a[1].float(), atol=1e-2)  # the step changed the adapters
    # AdamW divides by each gradient's own magnitude: a rounding difference in a tiny gradient can move its
    # weight by up to 2 x lr over the two steps, whatever the gradient's size (measured in bf16: 0.16-0.21 of
    # the largest weight, and the second step's logits 0.05-0.06 apart).
    loose = 100 * tolerance if dtype == torch.float32 else 0.4
    assert _close(logits_b[1], logits_a[1], loose / 4)
    for name, weight in weights_a.items():
        assert _close(weights_b[name], weight, loose), name

def _close(ours: torch.Tensor, theirs: torch.Tensor, tolerance: float) -> bool:
    return float((ours.float() - theirs.float()).abs().max()) <= tolerance * float(theirs.float().abs().max())


def test_frozen_weights_live_in_the_combined_matrix_and_evaluation_matches():
    base = _tiny("llama")
    model, _ = _lora(base, siblings=True)
    attention = model.base_model.model.model.layers[0].self_attn
    q, k = attention.q_proj.base_layer.weight, attention.k_proj.base_layer.weight
    assert q.untyped_storage().data_ptr() == k.untyped_storage().data_ptr()  # views: no second copy
    assert torch.equal(q, base.model.layers[0].self_attn.q_proj.weight)
    reference, _ = _lora(base, siblings=False)
    ids = torch.randint(0, 300, (2, 10))
    for m in (model, reference):
        m.eval()
    with torch.no_grad():
        assert torch.allclose(model(input_ids=ids).logits, reference(input_ids=ids).logits, atol=1e-5)


def test_disabled_adapters_and_unshared_masks_use_each_layers_own_path(monkeypatch):
    base = _tiny("llama")
    model, _ = _lora(base, siblings=True)
    model.eval()
    ids = torch.randint(0, 300, (2, 10))
    with torch.no_grad():
        with model.disable_adapter():
            assert torch.allclose(model(input_ids=ids).logits, base(input_ids=ids).logits, atol=1e-5)
        monkeypatch.setattr(dropout, "SHARE_SIBLING_MASKS", False)
        reference, _ = _lora(base, siblings=False)
        reference.eval()
        assert torch.allclose(model(input_ids=ids).logits, reference(input_ids=ids).logits, atol=1e-5)


def test_a_model_whose_probe_fails_keeps_its_layers(monkeypatch):
    from botsmith.train import sibling_lora

    base = _tiny("llama")
    model, _ = _lora(base, siblings=False)

    def fails(*args, **kwargs):
        raise RuntimeError("this model needs inputs the probe does not give")

    monkeypatch.setattr(type(model), "forward", fails)
    assert sibling_lora.use_sibling_lora(model) == 0
