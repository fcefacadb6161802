"""Chatbot: loading a bot (base before training, checkpoints after), system prompt, trimming, completion."""

from __future__ import annotations

import pytest

from botsmith.chat import Chatbot
from botsmith.config import GenerateSection
from botsmith.errors import BotsmithError
from tests.chat.conftest import save_lora_checkpoint
from tests.chat.parrot import PARROT_PROMPT, PARROT_REPLY

HELLO = [{"role": "user", "content": PARROT_PROMPT}]


def test_untrained_bot_talks_with_its_base_model_and_says_so(bot_dir):
    notices = []
    bot = Chatbot.from_bot(bot_dir, log=notices.append)
    assert any("no trained checkpoint yet" in line and "base model" in line for line in notices)
    assert bot.name == "parrot" and bot.reply(HELLO, temperature=0) == PARROT_REPLY


@pytest.mark.parametrize("which", ["best", "final"])
def test_explicit_checkpoint_that_does_not_exist_is_an_error(bot_dir, which):
    with pytest.raises(BotsmithError, match=f"no '{which}' checkpoint"):
        Chatbot.from_bot(bot_dir, which, log=lambda line: None)


def test_trained_lora_checkpoint_is_found_and_loaded(bot_dir, parrot):
    best = save_lora_checkpoint(parrot, bot_dir / "runs" / "20260101-120000" / "best")
    notices = []
    bot = Chatbot.from_bot(bot_dir, log=notices.append)
    assert bot.loaded.source == best and not any("base model" in line for line in notices)
    assert bot.reply(HELLO, temperature=0) == PARROT_REPLY  # a fresh LoRA adapter changes nothing yet
    by_path = Chatbot.from_bot(bot_dir, str(best), log=lambda line: None)
    assert by_path.loaded.source == best


def test_system_prompt_and_sampling_defaults_come_from_the_config(bot_dir):
    config_file = bot_dir / "botsmith.toml"
    text = config_file.read_text().replace('system_prompt = ""', 'system_prompt = "You are a parrot."')
    config_file.write_text(text.replace("temperature = 0.7", "temperature = 0.0"))
    bot = Chatbot.from_bot(bot_dir, log=lambda line: None)
    fitted = bot.fit(HELLO, bot.sampling())
    assert fitted.messages[0] == {"role": "system", "content": "You are a parrot."}
    assert bot.sampling().temperature == 0.0
    own_system = bot.fit([{"role": "system", "content": "Be terse."}, *HELLO], bot.sampling())
    assert [m["content"] for m in own_system.messages] == ["Be terse.", PARROT_PROMPT]


def test_history_is_trimmed_by_whole_turns_leaving_room_for_the_reply(parrot_loaded):
    bot = Chatbot(parrot_loaded, name="p", system_prompt="Stay kind.", generate=GenerateSection(context_tokens=200),
                  log=lambda line: None)
    history = []
    for turn in range(30):
        history += [{"role": "user", "content": f"question number {turn} about the sea"},
                    {"role": "assistant", "content": f"answer number {turn} about the waves"}]
    fitted = bot.fit([*history, *HELLO], bot.sampling(max_new_tokens=50))
    assert len(fitted.prompt_ids) <= 150  # 200-token window minus 50 for the reply
    assert fitted.messages[0]["role"] == "system" and fitted.messages[1]["role"] == "user"
    assert fitted.messages[-1]["content"] == PARROT_PROMPT and fitted.dropped_messages % 2 == 0
    assert fitted.dropped_messages > 0 and "oldest message" in fitted.notice()
    kept = len(fitted.messages) - 1
    assert kept >= 5  # as many recent turns as fit, not just the last one


def test_a_pasted_megabyte_keeps_its_end_with_a_notice(parrot_bot):
    paste = "x" * 1_000_000 + " the end of the paste"
    stream = parrot_bot.stream([{"role": "user", "content": paste}], max_new_tokens=5)
    stream.text()
    fitted = parrot_bot.last_fit
    assert fitted.messages[-1]["content"].endswith("the end of the paste")
    assert fitted.truncated_chars > 990_000 and "characters cut" in fitted.notice()
    assert len(fitted.prompt_ids) + 5 <= parrot_bot.context_window


def test_bad_messages_are_refused(parrot_bot):
    with pytest.raises(BotsmithError, match="message 0"):
        parrot_bot.reply([{"role": "wizard", "content": "hi"}])
    with pytest.raises(BotsmithError, match="no message"):
        parrot_bot.reply([])


def test_complete_gives_n_reproducible_different_samples(tiny_llama):
    bot = Chatbot.from_model(tiny_llama, log=lambda line: None)
    settings = dict(temperature=1.2, max_new_tokens=12, min_new_tokens=12, seed=11)
    samples = bot.complete("It was a dark and", n=3, **settings)
    assert len(samples) == 3 and len(set(samples)) == 3 and all(samples)
    assert bot.complete("It was a dark and", n=3, **settings) == samples


def test_complete_decodes_side_by_side_the_samples_complete_streams_writes(tiny_llama):
    from botsmith.config import GenerateSection

    bot = Chatbot.from_model(tiny_llama, generate=GenerateSection(dtype="float32"), log=lambda line: None)
    settings = dict(temperature=1.2, max_new_tokens=12, seed=11)
    streamed = [stream.text() for stream in bot.complete_streams("It was a dark and", n=4, **settings)]
    assert bot.complete("It was a dark and", n=4, **settings) == streamed and len(set(streamed)) > 1


@pytest.mark.slow
def test_default_model_replies_and_stops_at_end_of_turn(real_home):
    bot = Chatbot.from_model("smollm2-135m", log=lambda line: None)
    stream = bot.stream([{"role": "user", "content": "Hi! Say hello in one short sentence."}], temperature=0,
                        max_new_tokens=120)
    reply = stream.text()
    assert stream.stats.finish_reason == "stop" and reply.strip()
    assert "<|im_" not in reply and "\nuser" not in reply


def test_dtype_comes_from_the_config(parrot):
    import torch

    bot = Chatbot.from_model(parrot, generate=GenerateSection(dtype="float32"), log=lambda line: None)
    assert bot.loaded.model.dtype == torch.float32
    assert bot.reply(HELLO, temperature=0) == PARROT_REPLY
