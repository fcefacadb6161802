"""The fused chunked loss matches the reference, and packed examples never attend to each other."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from botsmith.train import loss as loss_module
from botsmith.train.data import IGNORE, Example
from botsmith.train.loss import FusedLinearCrossEntropy, LossComputer
from botsmith.train.packing import MicroBatch, Row, collate


@pytest.fixture
def llama(tiny_llama):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)


@pytest.mark.parametrize("weight_grad", [False, True])
def test_fused_cross_entropy_matches_reference(monkeypatch, weight_grad):
    monkeypatch.setattr(loss_module, "CHUNK_ROWS", 7)  # several chunks, a ragged last one
    torch.manual_seed(0)
    hidden = torch.randn(30, 16, dtype=torch.float32, requires_grad=True)
    weight = torch.randn(50, 16, dtype=torch.float32, requires_grad=weight_grad)
    targets = torch.randint(0, 50, (30,))
    targets[3] = (hidden[3] @ weight.T).argmax()  # a confident token: its gradient p - 1 is near 0
    fused = FusedLinearCrossEntropy.apply(hidden, weight, targets) * 0.5
    fused.backward()
    grads = (hidden.grad.clone(), weight.grad.clone() if weight_grad else None)
    hidden.grad = None
    weight.grad = None
    reference = F.cross_entropy(hidden @ weight.T, targets, reduction="sum") * 0.5
    reference.backward()
    assert torch.allclose(fused, reference, rtol=1e-5)
    assert torch.allclose(grads[0], hidden.grad, atol=1e-5)
    if weight_grad:
        assert torch.allclose(grads[1], weight.grad, atol=1e-5)


def test_fused_cross_entropy_in_bf16_stays_close_to_fp32(monkeypatch):
    """bf16 logits, fp32 log-softmax: loss and gradients within bf16 rounding of the fp32 result."""
    monkeypatch.setattr(loss_module, "CHUNK_ROWS", 16)
    torch.manual_seed(0)
    hidden, weight = torch.randn(40, 32) * 0.5, torch.randn(300, 32) * 0.3
    targets = torch.randint(0, 300, (40,))
    results = []
    for dtype in (torch.float32, torch.bfloat16):
        leaf = hidden.to(dtype, copy=True).requires_grad_(True)
        loss = FusedLinearCrossEntropy.apply(leaf, weight.to(dtype), targets)
        loss.backward()
        results.append((loss.item(), leaf.grad.float()))
    (loss32, grad32), (loss16, grad16) = results
    assert abs(loss16 - loss32) / loss32 < 1e-2
    assert (grad16 - grad32).abs().max() < 0.02 * grad32.abs().max()


def test_loss_computer_equals_the_models_own_loss(llama):
    torch.manual_seed(0)
    ids = torch.randint(3, 500, (2, 20))
    labels = ids.clone()
    labels[0, :5] = IGNORE
    batch = {"input_ids": ids, "labels": labels, "position_ids": torch.arange(20).expand(2, 20)}
    ours = LossComputer(llama)(batch)
    assert LossComputer(llama).head is not None  # the fused path, not the fallback
    logits = llama(input_ids=ids).logits
    reference = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                                ignore_index=IGNORE, reduction="sum")
    assert torch.allclose(ours, reference, rtol=1e-5)
    ours.backward()
    fused_grad = llama.model.layers[0].mlp.up_proj.weight.grad.clone()
    llama.zero_grad()
    reference.backward()
    assert torch.allclose(fused_grad, llama.model.layers[0].mlp.up_proj.weight.grad, atol=1e-5)


def test_packed_examples_do_not_attend_to_each_other(llama):
    a = Example(list(range(10, 30)), list(range(10, 30)))
    b = Example(list(range(40, 52)), list(range(40, 52)))
    packed = collate(MicroBatch((Row((a, b)),)), pad_id=0)
    alone = collate(MicroBatch((Row((b,)),)), pad_id=0)
    with torch.no_grad():
        inside = llama(input_ids=packed["input_ids"], position_ids=packed["position_ids"], use_cache=False).logits[0, len(a):]
        single = llama(input_ids=alone["input_ids"], position_ids=alone["position_ids"], use_cache=False).logits[0]
    assert torch.allclose(inside, single, atol=1e-5)


def test_fast_lora_paths_match_peft(tiny_llama, monkeypatch):
    """The CPU dropout and fused LoRA forward compute what PEFT computes, given the same random draws."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from botsmith.train import dropout
    from botsmith.train.dropout import use_fast_dropout, use_fast_lora_forward
    from botsmith.train.prepare import find_target_modules

    monkeypatch.setattr(dropout, "SHARE_SIBLING_MASKS", False)  # PEFT draws a mask per module

    model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.2, target_modules=find_target_modules(model)))
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.1)  # B starts at zero; make the adapters matter
    assert use_fast_dropout(model) == 14
    ids = torch.randint(3, 400, (2, 16))
    outputs = []
    for patch in (False, True):
        if patch:
            assert use_fast_lora_forward(model) == 14
        for training in (False, True):
            model.train(training)
            torch.manual_seed(1)
            outputs.append(model(input_ids=ids, use_cache=False).logits)
    peft_eval, peft_train, fused_eval, fused_train = outputs
    assert torch.allclose(peft_eval, fused_eval, atol=1e-5) and torch.allclose(peft_train, fused_train, atol=1e-5)
    assert not torch.allclose(peft_train, peft_eval, atol=1e-3)  # dropout did drop something


def test_two_thread_dropout_mask_is_seeded_and_unbiased():
    """Large masks are drawn by two threads: still a function of torch's seed, with the right drop rate in both halves."""
    from botsmith.train.dropout import PARALLEL_WORDS, _keep_mask

    x = torch.ones(8 * PARALLEL_WORDS)  # 2x the words needed for the two-thread path
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(3)
        first, second = _keep_mask(x, 0.1), _keep_mask(x, 0.1)
        torch.manual_seed(3)
        again = _keep_mask(x, 0.1)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(first, again) and not torch.equal(first, second)
    half = len(x) // 2
    for part in (first[:half], first[half:]):
        assert abs(1 - part.mean().item() - 0.1) < 0.005


def test_unwanted_tokens_add_unlikelihood_on_both_paths(llama):
    """-log(1 - p) at each unwanted place, p the summed probability of the tokens unwanted there, the fused path
    and the model's own logits alike; the cross-entropy part is unchanged."""
    torch.manual_seed(0)
    ids = torch.randint(3, 500, (2, 12))
    labels = torch.full_like(ids, IGNORE)
    labels[0, 1] = ids[0, 1]  # one token of cross-entropy, so the unlikelihood part stands out
    plain = {"input_ids": ids, "labels": labels, "position_ids": torch.arange(12).expand(2, 12)}
    with torch.no_grad():
        probs = llama(input_ids=ids).logits.float().softmax(-1)
        likeliest = probs.argmax(-1)
        # two tokens at one place, one at another: the places' likeliest tokens, so p is far from 0
        tokens = (likeliest[0, 4], probs[0, 4].topk(2).indices[1], likeliest[1, 2])
        unwanted = torch.tensor([[0, 5, tokens[0]], [0, 5, tokens[1]], [1, 3, tokens[2]]])
        expected = -torch.log1p(-(probs[0, 4, tokens[0]] + probs[0, 4, tokens[1]])) - torch.log1p(-probs[1, 2, tokens[2]])
        for fused in (True, False):
            computer = LossComputer(llama, fused=fused)
            assert (computer.head is not None) == fused
            extra = computer({**plain, "unwanted": unwanted}) - computer(plain)
            assert torch.allclose(extra, expected, rtol=1e-3)
            weighted = LossComputer(llama, fused=fused, rejected_weight=2.5)
            assert torch.allclose(weighted({**plain, "unwanted": unwanted}) - computer(plain), 2.5 * expected, rtol=1e-3)
        off = LossComputer(llama, rejected_weight=0)  # [train] rejected_weight = 0
        assert off({**plain, "unwanted": unwanted}) == off(plain)


def test_training_on_unwanted_tokens_pushes_them_down(tiny_llama):
    """Two rows with the same tokens: the first trains a token at one place, the second wants it not there. Without
    the second's unwanted token training makes it near certain; with it, cross-entropy and unlikelihood meet near
    p = 1/2 (the minimum of -log p - log(1 - p))."""
    from transformers import AutoModelForCausalLM

    ids = torch.arange(20, 36).expand(2, 16)
    labels = torch.full_like(ids, IGNORE)
    place = 9
    labels[0, place] = ids[0, place]
    results = []
    for unwanted in (torch.zeros((0, 3), dtype=torch.long), torch.tensor([[1, place, int(ids[0, place])]])):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_pretrained(str(tiny_llama), dtype=torch.float32)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        computer = LossComputer(model)
        batch = {"input_ids": ids, "labels": labels, "position_ids": torch.arange(16).expand(2, 16), "unwanted": unwanted}
        for _ in range(30):
            optimizer.zero_grad()
            computer(batch).backward()
            optimizer.step()
        with torch.no_grad():
            results.append(model(input_ids=ids[:1]).logits[0, place - 1].float().softmax(-1)[ids[0, place]].item())
    trained, held = results
    assert trained > 0.95 and 0.2 < held < 0.8, results
