"""Weight-only int8 for the fast path: close to full precision, chosen by [generate] weights or --weights."""

from __future__ import annotations

import json

import pytest

from botsmith.chat import Chatbot, Engine
from botsmith.chat.fast_llama import FastLlama
from botsmith.chat.projections import DenseRows, Int8Rows, int8_unavailable
from botsmith.config import GenerateSection
from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY
from tests.chat.test_session import main

pytestmark = pytest.mark.skipif(int8_unavailable(__import__("torch").float32) is not None,
                                reason="this torch cannot run _weight_int8pack_mm")


def _load(path, dtype_name: str = "float32"):
    import torch

    from botsmith.models import load_base

    return load_base(str(path), dtype=getattr(torch, dtype_name), log=lambda line: None)


def test_each_weight_is_rounded_to_the_nearest_step_of_its_row():
    import torch

    torch.manual_seed(0)
    weight = torch.randn(64, 48) * torch.logspace(-3, 1, 64)[:, None]  # rows of very different sizes
    weight[5] = 0.0
    rows = Int8Rows(weight)
    assert rows.values.dtype == torch.int8 and rows.values.abs().max() == 127
    error = (rows.dequantized() - weight).abs()
    assert bool((error <= rows.scales[:, None] / 2 * (1 + 1e-5)).all())  # round to nearest, per-row scale
    assert bool((rows.dequantized()[5] == 0).all())
    x = torch.randn(48)
    torch.testing.assert_close(rows.vector(x), rows.dequantized() @ x, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype_name", ["float32", "bfloat16"])
def test_int8_logits_stay_close_to_full_precision_logits(parrot, dtype_name):
    import torch

    loaded = _load(parrot, dtype_name)
    full, int8 = FastLlama(loaded.model), FastLlama(loaded.model, weights="int8")
    assert isinstance(int8.layers[0]["qkv"], Int8Rows) and isinstance(int8.lm_head, Int8Rows)
    ids = list(range(3, 40))
    with torch.inference_mode():
        pairs = [(full.prefill(ids, 60), int8.prefill(ids, 60))]
        pairs += [(full.step(token), int8.step(token)) for token in (5, 17, 9, 30, 2)]
    for ours, theirs in pairs:
        spread = ours.abs().max()
        # An int8 step is 1/254 of a row's largest weight: the logits here move by about 1% of their range
        # (1.5% in bf16) on an AMX CPU, and by 3.0% (5.8%) with the parrot trained on an AVX2 CPU, where bf16
        # activations alone put the full-precision path 3.8% off fp32; scales put on the wrong rows move them by 250%.
        assert (theirs - ours).abs().max() < 0.1 * spread
        assert not torch.equal(theirs, ours)  # the int8 matrices were really used
        assert int(theirs.argmax()) == int(ours.argmax())


def test_int8_keeps_the_model_weights_for_the_generic_path(parrot):
    import torch

    loaded = _load(parrot)
    before = {name: tensor.clone() for name, tensor in loaded.model.state_dict().items()}
    FastLlama(loaded.model, weights="int8")
    after = loaded.model.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert all(tensor.dtype == torch.float32 for tensor in after.values())


def test_the_config_field_reaches_the_fast_path_and_the_parrot_still_answers(parrot):
    bot = Chatbot.from_model(parrot, generate=GenerateSection(weights="int8", dtype="float32"), log=lambda line: None)
    runner = bot.engine._runner()
    assert runner.weights == "int8" and isinstance(runner.layers[0]["down"], Int8Rows)
    assert bot.reply([{"role": "user", "content": PARROT_PROMPT}], temperature=0) == PARROT_REPLY
    default = Chatbot.from_model(parrot, log=lambda line: None).engine._runner()
    assert isinstance(default.layers[0]["down"], DenseRows)


def test_the_config_field_is_validated():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="weights"):
        GenerateSection(weights="int4")


def test_models_without_the_fast_path_say_so_and_keep_full_weights(tiny_gpt2):
    lines: list[str] = []
    loaded = _load(tiny_gpt2)
    engine = Engine(loaded.model, loaded.tokenizer, weights="int8", log=lines.append)
    assert engine.weights == "full" and lines == [
        "int8 weights apply only to the Llama fast path on CPU: using full weights for this model.",
        "decoding: transformers' modules (float32; the lean pass is for plain Llama models on the CPU)"]


def test_cli_weights_flag(bot_dir, capsys):
    code, out, err = main(capsys, "chat", str(bot_dir), "--prompt", PARROT_PROMPT, "-t", "0", "--json",
                          "--weights", "int8")
    assert code == 0, err
    assert json.loads(out)["reply"] == PARROT_REPLY
    code, out, err = main(capsys, "complete", str(bot_dir), "It was a dark and", "-m", "4", "--weights", "int8")
    assert code == 0 and out.startswith("It was a dark and"), err
    code, _, err = main(capsys, "chat", str(bot_dir), "--prompt", "hi", "--weights", "int4")
    assert code != 0 and "Traceback" not in err
    assert "[generate] weights" in err.strip().splitlines()[-1]
