"""Pre-tokenizer detection by behaviour, and the Ollama files made from botsmith.chat_format."""

from __future__ import annotations

import json

import pytest

from botsmith.chat_format import ChatFormat, chatml
from botsmith.chat_styles import STYLES
from botsmith.config import GenerateSection
from botsmith.export.gguf.tokenizer import PRE_TOKENIZERS, detect_pre_tokenizer
from botsmith.export.modelfile import PROMPT_ONLY_TEMPLATE, modelfile_text, ollama_params


def tokenizer_with(pre_tokenizer):
    from tokenizers import Tokenizer, decoders, models
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizer
    backend.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=backend)


def test_byte_level_is_gpt2():
    from tokenizers import pre_tokenizers

    assert detect_pre_tokenizer(tokenizer_with(pre_tokenizers.ByteLevel(add_prefix_space=False)))[0] == "gpt-2"


def test_individual_digits_is_smollm():
    from tokenizers import pre_tokenizers

    pre = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False)])
    assert detect_pre_tokenizer(tokenizer_with(pre))[0] == "smollm"


@pytest.mark.parametrize("name", ["llama-bpe", "qwen2"])
def test_regex_split_tokenizers(name):
    from tokenizers import Regex, pre_tokenizers

    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(PRE_TOKENIZERS[name][0]), behavior="isolated"),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    assert detect_pre_tokenizer(tokenizer_with(pre))[0] == name


def test_unknown_pre_tokenizer_falls_back_with_warning():
    from tokenizers import pre_tokenizers

    pre = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.ByteLevel(use_regex=False)])
    name, warnings = detect_pre_tokenizer(tokenizer_with(pre))
    assert name == "default" and "llama.cpp may split" in warnings[0]


def test_chat_modelfile_matches_chat_format():
    text = modelfile_text("bot-q8_0.gguf", chat_format=chatml().with_system("You are Ahab."), mode="chat",
                          generate=GenerateSection(temperature=0.6, min_p=0.05), context_length=8192)
    assert "FROM ./bot-q8_0.gguf" in text
    assert f'TEMPLATE """{chatml().ollama_template()}"""' in text
    assert 'SYSTEM """You are Ahab."""' in text
    assert 'PARAMETER stop "<|im_end|>"' in text
    assert "PARAMETER temperature 0.6" in text and "PARAMETER num_ctx 4096" in text
    assert "PARAMETER min_p 0.05" in text and "epsilon_cutoff" not in text
    with_epsilon = modelfile_text("m.gguf", chat_format=chatml(), mode="chat", context_length=8192,
                                  generate=GenerateSection(temperature=1.0, epsilon_cutoff=3e-4))
    assert "# [generate] epsilon_cutoff = 0.0003 has no Ollama parameter" in with_epsilon  # said, not dropped


def test_llama3_format_stops_at_eot():
    llama3 = ChatFormat.from_style(STYLES["llama3"])
    text = modelfile_text("m.gguf", chat_format=llama3, mode="dialogue", generate=GenerateSection(),
                          context_length=2048)
    assert llama3.ollama_template() in text and '"<|start_header_id|>assistant<|end_header_id|>\\n\\n"' in text
    assert 'PARAMETER stop "<|eot_id|>"' in text and "SYSTEM" not in text


def test_custom_template_has_no_ollama_template():
    from botsmith.errors import BotsmithError

    custom = ChatFormat("custom", "{{ messages }}", ("</s>",))
    with pytest.raises(BotsmithError, match="chat_template to one of chatml"):
        modelfile_text("m.gguf", chat_format=custom, mode="chat", generate=GenerateSection(), context_length=512)


def test_completion_bot_has_prompt_only_template():
    text = modelfile_text("m.gguf", chat_format=chatml().with_system("ignored"), mode="completion",
                          generate=GenerateSection(), context_length=512)
    assert f'TEMPLATE """{PROMPT_ONLY_TEMPLATE}"""' in text
    assert "PARAMETER stop" not in text and "SYSTEM" not in text
    params = ollama_params(chatml(), "completion", GenerateSection(), 512)
    assert "stop" not in params and params["num_ctx"] == 512
    json.dumps(params)


def test_triple_quotes_in_system_prompt_are_refused():
    from botsmith.errors import BotsmithError

    with pytest.raises(BotsmithError, match="triple quotes"):
        modelfile_text("m.gguf", chat_format=chatml().with_system('say """hi"""'), mode="chat",
                       generate=GenerateSection(), context_length=512)


def test_gguf_export_writes_ollama_files(llama_bot, tmp_path):
    from botsmith.export import export_model

    result = export_model(llama_bot, format="gguf", quant="f16", out=tmp_path / "out", log=lambda line: None)
    assert (result.path / "template").read_text() == chatml().ollama_template()
    assert (result.path / "system").read_text() == "You are a sea captain."
    modelfile = (result.path / "Modelfile").read_text()
    assert f"FROM ./{result.files[0].name}" in modelfile
    readme = (result.path / "README.md").read_text()
    assert "ollama run hf.co/" in readme and result.files[0].name in readme
