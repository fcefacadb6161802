"""--backend llama.cpp: the bot's GGUF export computes the logits, botsmith does everything else.

Tests that run llama.cpp skip where llama-cpp-python is not installed (CI); finding the
export and the config checks run everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from botsmith.chat import Chatbot, Engine
from botsmith.chat.sampling import Sampling
from botsmith.config import GenerateSection
from botsmith.errors import BotsmithError
from botsmith.llama_cpp_runtime import llama_cpp_available
from tests.chat.conftest import save_lora_checkpoint
from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY
from tests.chat.test_session import main

needs_llama_cpp = pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python is not installed")
LLAMA_CPP = GenerateSection(backend="llama.cpp")


def quiet(line: str) -> None:
    pass


def export_gguf(bot: Path, quant: str = "f32") -> Path:
    from botsmith.export import export_model

    return export_model(bot, format="gguf", quant=quant, checkpoint="base", log=quiet).files[0]


@pytest.fixture(scope="module")
def parrot_bot_with_gguf(parrot, tmp_path_factory) -> Path:
    """The untrained parrot bot (its base model is the parrot) with an f32 GGUF export of it."""
    from botsmith.bot_folder import new_bot

    root = new_bot(tmp_path_factory.mktemp("bots") / "parrot", mode="chat", base_model=str(parrot), name="parrot").root
    export_gguf(root)
    return root


@needs_llama_cpp
def test_greedy_tokens_match_the_torch_engine(tiny_llama, tmp_path):
    # A random model: its logits are close calls everywhere, so the same 12 greedy tokens mean the same pass.
    from botsmith.bot_folder import new_bot
    from botsmith.models import load_base

    bot = new_bot(tmp_path / "tiny", mode="chat", base_model=str(tiny_llama)).root
    gguf = export_gguf(bot)
    loaded = load_base(str(tiny_llama), log=quiet)
    torch_engine = Engine(loaded.model, loaded.tokenizer, fast=False)
    llama_engine = Engine(loaded.model, loaded.tokenizer, backend="llama.cpp", gguf=gguf)
    prompt = torch_engine.encode("the sea was calm and the", add_special_tokens=True)
    assert greedy_tokens(llama_engine, prompt) == greedy_tokens(torch_engine, prompt)


def greedy_tokens(engine: Engine, prompt: list[int], count: int = 12) -> list[int]:
    greedy = Sampling(temperature=0, max_new_tokens=count, repetition_penalty=1.0, min_new_tokens=count, seed=0)
    tokens = list(engine._token_ids(engine._reply(prompt, greedy, ())))
    assert len(tokens) == count
    return tokens


@needs_llama_cpp
def test_logits_agree_with_transformers_after_prefill_and_steps(tiny_llama, tmp_path):
    import torch

    from botsmith.bot_folder import new_bot
    from botsmith.chat.generate import GenericRunner
    from botsmith.chat.llama_cpp_runner import LlamaCppRunner
    from botsmith.models import load_base

    gguf = export_gguf(new_bot(tmp_path / "tiny", mode="chat", base_model=str(tiny_llama)).root)
    model = load_base(str(tiny_llama), dtype=torch.float32, log=quiet).model
    ours, theirs = GenericRunner(model), LlamaCppRunner(gguf, context_window=64, vocab_size=model.config.vocab_size)
    with torch.inference_mode():
        pairs = [(ours.prefill([1, 20, 30, 40], 16), theirs.prefill([1, 20, 30, 40], 16))]
        pairs += [(ours.step(token), theirs.step(token)) for token in (50, 60, 70)]
    for a, b in pairs:
        assert b.dtype == torch.float32 and b.shape == a.shape
        assert torch.allclose(a, b, atol=1e-3 * float(a.abs().max())), float((a - b).abs().max())


@needs_llama_cpp
def test_a_prompt_that_continues_the_last_one_processes_only_its_new_tokens(tiny_llama, tmp_path):
    import torch

    from botsmith.bot_folder import new_bot
    from botsmith.chat.llama_cpp_runner import LlamaCppRunner
    from botsmith.models import load_base

    gguf = export_gguf(new_bot(tmp_path / "tiny", mode="chat", base_model=str(tiny_llama)).root)
    vocab = load_base(str(tiny_llama), log=quiet).model.config.vocab_size
    runner, fresh = (LlamaCppRunner(gguf, context_window=64, vocab_size=vocab) for _ in range(2))
    processed: list[int] = []
    real_eval = runner.llm.eval
    runner.llm.eval = lambda ids: (processed.append(len(ids)), real_eval(ids))[1]
    with torch.inference_mode():
        runner.prefill([1, 20, 30, 40, 50], 16)
        runner.step(60)  # the reply's token: part of the next turn's prompt too
        for prompt, new_tokens in (([1, 20, 30, 40, 50, 60, 70, 80], 2),  # the next turn: its new tokens only
                                   ([1, 20, 31, 40], 2),                    # another conversation from its 3rd token
                                   ([1, 20, 31, 40], 1)):                   # the same prompt: its last token again
            processed.clear()
            ours = runner.prefill(prompt, 16)
            assert processed == [new_tokens]
            theirs = fresh.prefill(prompt, 16)
            assert torch.allclose(ours, theirs, atol=1e-4 * float(theirs.abs().max()))


@needs_llama_cpp
def test_bot_reply_stops_at_the_end_of_turn(parrot_bot_with_gguf):
    bot = Chatbot.from_bot(parrot_bot_with_gguf, generate=LLAMA_CPP, log=quiet)
    stream = bot.stream([{"role": "user", "content": PARROT_PROMPT}], temperature=0, max_new_tokens=40)
    assert stream.text().strip() == PARROT_REPLY
    assert stream.stats.finish_reason == "stop" and stream.stats.completion_tokens < 40


@needs_llama_cpp
def test_cli_chat_with_the_llama_cpp_backend(parrot_bot_with_gguf, capsys):
    # sampled, as a user's chat is; the parrot's own prompt, as a reply to anything else may be the end of the turn
    # at once (to "hi", in 3 of 4 seeds on an AVX2 CPU, with either backend), which prints nothing
    code, out, err = main(capsys, "chat", str(parrot_bot_with_gguf), "--backend", "llama.cpp", "--prompt", PARROT_PROMPT)
    assert code == 0, err
    assert out.strip()
    code, out, err = main(capsys, "chat", str(parrot_bot_with_gguf), "--backend", "llama.cpp", "--prompt", PARROT_PROMPT,
                          "-t", "0", "--json")
    assert code == 0, err
    assert json.loads(out)["reply"] == PARROT_REPLY


@needs_llama_cpp
def test_a_gguf_with_another_vocabulary_is_refused(parrot_bot_with_gguf):
    from botsmith.chat.llama_cpp_runner import LlamaCppRunner

    gguf = next(parrot_bot_with_gguf.glob("exports/gguf-f32/*.gguf"))
    with pytest.raises(BotsmithError, match="vocabulary, the model 7"):
        LlamaCppRunner(gguf, context_window=64, vocab_size=7)


@needs_llama_cpp
def test_a_gguf_llama_cpp_cannot_read_is_one_line(bot_dir, capsys, tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(60))
    code, _, err = main(capsys, "chat", str(bot_dir), "--gguf", str(broken), "--prompt", "hi")
    assert code != 0 and "Traceback" not in err
    assert f"llama.cpp cannot load {broken}" in err.strip().splitlines()[-1]


def test_no_export_is_a_one_line_error_before_any_model_loads(bot_dir, capsys):
    code, out, err = main(capsys, "chat", str(bot_dir), "--backend", "llama.cpp", "--prompt", "hi")
    assert code != 0 and "Traceback" not in err and not out
    last = err.strip().splitlines()[-1]
    # Not trained yet, so the export must be told to take the base model.
    assert "no GGUF export for this bot" in last and f"botsmith export {bot_dir} --format gguf --checkpoint base" in last


def test_an_explicit_gguf_that_is_missing_and_gguf_without_the_backend(bot_dir, capsys, tmp_path):
    code, _, err = main(capsys, "chat", str(bot_dir), "--backend", "llama.cpp", "--gguf", str(tmp_path / "x.gguf"),
                        "--prompt", "hi")
    assert code != 0 and "no such file" in err.strip().splitlines()[-1]
    code, _, err = main(capsys, "complete", str(bot_dir), "It was", "--backend", "torch",
                        "--gguf", str(tmp_path / "x.gguf"))
    assert code != 0 and "--backend llama.cpp" in err.strip().splitlines()[-1]


def test_other_checkpoints_need_an_explicit_gguf(bot_dir, capsys):
    code, _, err = main(capsys, "serve", str(bot_dir), "--backend", "llama.cpp", "-c", "final")
    assert code != 0 and "Traceback" not in err
    assert "--gguf PATH" in err.strip().splitlines()[-1]


def test_unknown_backend_names_the_field(bot_dir, capsys):
    code, _, err = main(capsys, "chat", str(bot_dir), "--prompt", "hi", "--backend", "vllm")
    assert code != 0 and "Traceback" not in err
    assert "[generate] backend" in err.strip().splitlines()[-1]
    config_file = bot_dir / "botsmith.toml"
    config_file.write_text(config_file.read_text().replace('backend = "auto"', 'backend = "onnx"'))
    code, _, err = main(capsys, "chat", str(bot_dir), "--prompt", "hi")
    last = err.strip().splitlines()[-1]
    assert code != 0 and "botsmith.toml: [generate] backend" in last


def test_missing_llama_cpp_python_is_one_line_with_the_install_hint(parrot_bot_with_gguf, capsys):
    if llama_cpp_available():
        pytest.skip("llama-cpp-python is installed here")
    code, _, err = main(capsys, "chat", str(parrot_bot_with_gguf), "--backend", "llama.cpp", "--prompt", "hi")
    assert code != 0 and "Traceback" not in err
    assert "pip install 'botsmith[llamacpp]'" in err.strip().splitlines()[-1]


@pytest.fixture
def trained_bot_with_gguf(parrot, bot_dir) -> tuple[Path, Path]:
    """The parrot bot with a LoRA `best` checkpoint and a verified f32 GGUF export of it: (bot, checkpoint)."""
    from botsmith.export import export_model

    best = save_lora_checkpoint(parrot, bot_dir / "runs" / "20260101-120000" / "best")
    export_model(bot_dir, format="gguf", quant="f32", log=quiet)
    return bot_dir, best


def auto_chatbot(bot: Path, **generate) -> tuple[Chatbot, list[str]]:
    lines: list[str] = []
    return Chatbot.from_bot(bot, generate=GenerateSection(**generate), log=lines.append), lines


@needs_llama_cpp
def test_auto_runs_the_verified_export_of_the_checkpoint_in_llama_cpp(trained_bot_with_gguf):
    bot, best = trained_bot_with_gguf
    record = json.loads((bot / "exports" / "gguf-f32" / "botsmith_export.json").read_text())
    assert record["checkpoint"] == "runs/20260101-120000/best" and record["verified"] and record["quant"] == "f32"
    assert set(record["weights"]) == {path.name for path in best.iterdir()}
    chatbot, lines = auto_chatbot(bot)
    assert chatbot.engine.backend == "llama.cpp"
    assert any(line.startswith("backend auto: llama.cpp, on exports/gguf-f32/parrot-f32.gguf") for line in lines), lines
    assert "decoding: llama.cpp (parrot-f32.gguf)" in lines
    assert chatbot.loaded.model.get_input_embeddings().weight.is_meta  # llama.cpp holds the weights, torch none
    reply = chatbot.reply([{"role": "user", "content": PARROT_PROMPT}], temperature=0, max_new_tokens=40)
    torch_bot, _ = auto_chatbot(bot, backend="torch")
    assert reply == torch_bot.reply([{"role": "user", "content": PARROT_PROMPT}], temperature=0, max_new_tokens=40)
    assert reply == PARROT_REPLY


@needs_llama_cpp
def test_auto_falls_back_to_torch_once_the_checkpoint_is_newer_than_its_export(trained_bot_with_gguf):
    import os

    bot, best = trained_bot_with_gguf
    weights = best / "adapter_model.safetensors"
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1))  # training wrote it again
    chatbot, lines = auto_chatbot(bot)
    assert chatbot.engine.backend == "torch"
    assert any("backend auto: torch (no GGUF export holds this checkpoint" in line and "--force" in line
               for line in lines), lines
    assert chatbot.reply([{"role": "user", "content": PARROT_PROMPT}], temperature=0, max_new_tokens=40) == PARROT_REPLY


@needs_llama_cpp
def test_auto_keeps_torch_for_unverified_exports_other_checkpoints_and_fp32(trained_bot_with_gguf, parrot):
    from botsmith.export import export_model

    bot, _ = trained_bot_with_gguf
    chatbot, lines = auto_chatbot(bot, dtype="float32")
    assert chatbot.engine.backend == "torch" and any('dtype = "float32"' in line for line in lines), lines
    final = save_lora_checkpoint(parrot, bot / "runs" / "20260101-120000" / "final")
    chatbot = Chatbot.from_bot(bot, str(final), generate=GenerateSection(), log=quiet)
    assert chatbot.engine.backend == "torch"  # the export holds best, not this one
    export_model(bot, format="gguf", quant="f32", force=True, verify=False, log=quiet)
    chatbot, lines = auto_chatbot(bot)
    assert chatbot.engine.backend == "torch" and any("without verification" in line for line in lines), lines


def test_auto_without_an_export_talks_with_torch_and_says_how_to_get_llama_cpp(bot_dir):
    chatbot, lines = auto_chatbot(bot_dir)
    assert chatbot.engine.backend == "torch"
    why = next(line for line in lines if line.startswith("backend auto: torch"))
    if llama_cpp_available():  # not trained yet: the export must be told to take the base model
        assert f"botsmith export {bot_dir} --format gguf --checkpoint base" in why
    else:
        assert "pip install 'botsmith[llamacpp]'" in why


@needs_llama_cpp
def test_from_model_runs_a_gguf_file_in_llama_cpp_by_default(parrot_bot_with_gguf):
    gguf = next(parrot_bot_with_gguf.glob("exports/gguf-f32/*.gguf"))
    lines: list[str] = []
    chatbot = Chatbot.from_model(gguf, generate=GenerateSection(weights="int8"), log=lines.append)
    assert chatbot.engine.backend == "llama.cpp" and chatbot.loaded.model.get_input_embeddings().weight.is_meta
    assert "int8 weights are for the torch backend: llama.cpp runs the GGUF's own types (q8_0 by default)." in lines
    assert chatbot.reply([{"role": "user", "content": PARROT_PROMPT}], temperature=0, max_new_tokens=40) == PARROT_REPLY
