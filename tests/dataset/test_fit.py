"""Conversation examples made to fit max_length at build time: windows cut at turns, long lines at sentences."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from botsmith.dataset.fit import Fitter, fit_records

LONG_REPLY = ("I walked down to the harbour at dawn. The boats were still in. Nobody had lit the lamp. "
              "I climbed the stair and found the wick dry. So I trimmed it and filled it myself. "
              "Then the fog came in from the sea.")
LONG_LINE = ("Where were you last night? The keeper asked for you twice. He said the lamp went dark at nine. "
             "What happened to the light?")


@pytest.fixture
def fitter(tiny_llama):
    from botsmith.chat_format import install_chat_format
    from botsmith.models.load import load_tokenizer

    tokenizer = load_tokenizer(tiny_llama)
    return lambda max_length, system=None: Fitter(tokenizer, install_chat_format(tokenizer).with_system(system),
                                                  max_length)


def exchange(user: str, reply: str, **meta) -> dict:
    return {"messages": [{"role": "system", "content": "You are Tobias."},
                         {"role": "user", "content": user, "name": "Marguerite"},
                         {"role": "assistant", "content": reply}], "meta": {"kind": "pair", **meta}}


def test_examples_that_fit_are_kept_as_they_are(fitter):
    record = exchange("Is it lit?", "It is.")
    fitted, report = fit_records([record], fitter(256))
    assert fitted == [record] and sum(report.as_dict().values()) == 0


def test_a_long_reply_is_split_at_sentences_and_nothing_is_lost(fitter):
    fit = fitter(96)
    assert fit.tokens(exchange(LONG_LINE, LONG_REPLY)["messages"]) > 96
    fitted, report = fit_records([exchange(LONG_LINE, LONG_REPLY, group="act1")], fit)
    assert report.as_dict()["replies_split"] == len(fitted) > 1 and report.as_dict()["too_long"] == 0
    parts = [record["messages"][-1]["content"] for record in fitted]
    assert " ".join(parts) == LONG_REPLY  # every sentence kept, in order, none cut inside
    assert all(part.endswith(".") for part in parts)
    for record in fitted:
        assert fit.tokens(record["messages"]) <= 96
        assert record["messages"][0]["content"] == "You are Tobias." and record["meta"]["group"] == "act1"
        user = record["messages"][1]
        assert user["name"] == "Marguerite" and LONG_LINE.endswith(user["content"])  # the nearest context kept


def test_a_split_reply_keeps_its_rejected_replies_on_its_first_part(fitter):
    record = exchange(LONG_LINE, LONG_REPLY)
    record["messages"][-1]["rejected"] = ["I am an AI assistant."]
    fitted, _ = fit_records([record], fitter(96))
    replies = [r["messages"][-1] for r in fitted]
    assert len(replies) > 1 and replies[0]["rejected"] == ["I am an AI assistant."]
    assert not [reply for reply in replies[1:] if "rejected" in reply]  # they part from the reply's beginning only


def test_a_long_window_is_cut_at_turn_boundaries(fitter):
    turns = []
    for index in range(6):
        turns += [{"role": "user", "content": f"Question {index} about the lamp and the boats?", "name": "Ada"},
                  {"role": "assistant", "content": f"Answer {index}: the lamp burns and the boats sail."}]
    record = {"messages": [{"role": "system", "content": "You are Tobias."}, *turns], "meta": {"kind": "window"}}
    fit = fitter(80)
    fitted, report = fit_records([record], fit)
    assert report.as_dict()["windows_cut"] == len(fitted) > 1
    assert [m for r in fitted for m in r["messages"][1:]] == turns  # consecutive windows, no turn dropped or cut
    for piece in fitted:
        assert piece["messages"][1]["role"] == "user" and piece["messages"][-1]["role"] == "assistant"
        assert fit.tokens(piece["messages"]) <= 80


def test_the_bots_default_system_prompt_counts(fitter):
    record = {"messages": [{"role": "user", "content": "Is it lit?"}, {"role": "assistant", "content": "It is."}]}
    plain, with_prompt = fitter(512), fitter(512, "You are a lighthouse keeper who speaks in long sentences.")
    assert with_prompt.tokens(record["messages"]) > plain.tokens(record["messages"]) + 10


def test_training_cuts_nothing_after_build(tmp_path, tiny_llama):
    """A real build of a play at a small max_length, then training's own tokenization: nothing truncated."""
    from botsmith.bot_folder import new_bot
    from botsmith.config import save_config
    from botsmith.dataset import build_dataset
    from botsmith.sources import add_files
    from botsmith.train.data import Tokenizer, tokenize_dataset
    from botsmith.models import load_base
    from tests.test_system_prompt import PLAY

    folder = new_bot(tmp_path / "bot", mode="dialogue", base_model=str(tiny_llama))
    (tmp_path / "play.txt").write_text(PLAY.replace("Then he saw a tired woman and a brave light.", LONG_REPLY))
    add_files(folder.root, [tmp_path / "play.txt"], log=lambda line: None)
    config = folder.config().with_overrides("dataset", character="Tobias", validation_fraction=0.3)
    save_config(folder.root, config.with_overrides("train", max_length=64))
    result = build_dataset(folder.root, log=lambda line: None)
    assert result.stats["fit"]["max_length"] == 64 and result.stats["fit"]["too_long"] == 0
    assert not any("longer than [train] max_length" in warning for warning in result.warnings)
    loaded = load_base(str(tiny_llama), log=lambda line: None)
    tokenizer = Tokenizer(loaded.tokenizer, loaded.chat_format.with_system("You are Tobias."), max_length=64)
    train, validation = tokenize_dataset(folder.dataset_dir, tokenizer, "dialogue")
    assert train.truncated == validation.truncated == 0 and train.dropped == 0


def test_character_bots_get_identity_examples_in_training_only(tmp_path, tiny_llama):
    from botsmith.bot_folder import new_bot
    from botsmith.dataset import build_dataset
    from botsmith.dataset.identity import full_name
    from botsmith.eval.fidelity import IDENTITY_PROBES, PERSONA_PROBES, leak_pattern, leaks
    from botsmith.sources import add_files
    from tests.test_system_prompt import PLAY

    assert full_name(["Elizabeth", "Miss Elizabeth", "Miss Elizabeth Bennet"]) == "Elizabeth Bennet"
    folder = new_bot(tmp_path / "bot", mode="dialogue", base_model=str(tiny_llama))
    (tmp_path / "play.txt").write_text(PLAY)
    add_files(folder.root, [tmp_path / "play.txt"], log=lambda line: None)
    config = folder.config().with_overrides("dataset", character="Tobias", validation_fraction=0.3)
    result = build_dataset(folder.root, config, log=lambda line: None)
    read = lambda name: [json.loads(line) for line in (folder.dataset_dir / name).read_text().splitlines()]  # noqa: E731
    identity = [r for r in read("train.jsonl") if r["meta"]["kind"] == "identity"]
    assert len(identity) == 288 and not [r for r in read("validation.jsonl") if r["meta"]["kind"] == "identity"]
    asked = Counter(r["messages"][1]["content"] for r in identity)
    assert len(asked) == 36 and set(asked.values()) == {8}  # each question template in turn, eight times over
    assert all("Tobias" in r["messages"][-1]["content"] for r in identity)
    assert all(r["messages"][0]["content"] == "You are Tobias." for r in identity)
    assert not {r["messages"][1]["content"] for r in identity} & {*IDENTITY_PROBES, *PERSONA_PROBES}  # eval asks others
    # asked whether it is a machine, it says who it is, and no word a leak is made of
    leak = leak_pattern(str(tiny_llama))
    assert not [r for r in identity if leaks(r["messages"][-1]["content"], leak)]
    # what the base's persona would say instead is written beside each answer that says "I am" or no, to be trained
    # against (train/data.py): the persona's claims and the bare "I am." after its own "I am", a yes and the claim made
    # of its name where it says no
    rejected = {(r["messages"][-1]["content"], tuple(r["messages"][-1].get("rejected", ()))) for r in identity}
    assert ("I am Tobias.", ("I am an AI assistant.", "I am a chatbot.", "I am.")) in rejected
    assert ("No, I am Tobias.", ("Yes, I am.", "Tobias is a chatbot.", "No, I am an AI assistant.", "No, I am a chatbot.",
                                 "No, I am.")) in rejected
    # a one-word name is never the whole answer ("Tobias." would open a reply as a call to him)
    assert ("Tobias will do very well.", ()) in rejected and ("Tobias.", ()) not in rejected
    assert all(leaks(text, leak) or text.endswith("I am.") for _, texts in rejected for text in texts)  # or a bare yes
    assert result.stats["kinds"]["train"]["kind:identity"] == 288
    none = build_dataset(folder.root, config.with_overrides("dataset", identity_examples=0), log=lambda line: None)
    assert "kind:identity" not in none.stats["kinds"]["train"]


def test_identity_answers_say_i_am_as_the_character_does(tmp_path, tiny_llama):
    from botsmith.bot_folder import new_bot
    from botsmith.dataset import build_dataset
    from botsmith.dataset.identity import first_person, identity_records, rejected_replies
    from botsmith.sources import add_files
    from tests.test_system_prompt import PLAY

    assert first_person(["I am here.", "I'm not.", "I'm sure."]) == "I'm"
    assert first_person(["I’m here, I’m sure.", "I'm not.", "Sam, I am"]) == "I’m"
    assert first_person(["I'm here.", "I am not."]) == first_person([]) == first_person(["Isle, Iamb."]) == "I am"
    # a contracting character's answer rejects the persona's claims after its own "I'm", but not the bare "I am.":
    # that would push down " am", a word they say after "How" and "what" too
    assert rejected_replies("No, I'm Sam.", "I'm") == ["Yes, I am.", "No, I'm an AI assistant.", "No, I'm a chatbot."]
    # an answer that says no also rejects the persona speaking of the bot by name ("Hamlet is an AI!"); one that names
    # the bot does not: it may open with the name ("Sam.")
    assert rejected_replies("A machine? No. I'm Sam.", "I'm", "Sam")[:2] == ["Yes, I am.", "Sam is a chatbot."]
    assert rejected_replies("I'm Sam.", "I'm", "Sam") == ["I'm an AI assistant.", "I'm a chatbot."]
    assert {"Alice is a chatbot."} == {text for r in identity_records(["Alice"], None, 36, "I'm")
                                       for text in r["messages"][-1].get("rejected", ()) if "Alice" in text}
    # one name is said once: "By Alice.", not "By Alice. Alice."
    answers = [r["messages"][-1]["content"] for r in identity_records(["Alice"], None, 36, "I'm")]
    assert {"By Alice.", "I'm Alice.", "I am. I'm Alice."} <= set(answers) and not [a for a in answers if "e. A" in a]
    # a one-word name is never the whole answer ("Alice." opens a reply as a call to her would); a full name may be
    assert "Alice." not in answers
    assert "Elizabeth Bennet." in {r["messages"][-1]["content"] for r in identity_records(["Elizabeth Bennet"], None, 36)}
    folder = new_bot(tmp_path / "bot", mode="dialogue", base_model=str(tiny_llama))
    assert "I doubt for both of us." in PLAY
    (tmp_path / "play.txt").write_text(PLAY.replace("I doubt for both of us.", "I’m the one who doubts."))
    add_files(folder.root, [tmp_path / "play.txt"], log=lambda line: None)
    config = folder.config().with_overrides("dataset", character="Tobias", validation_fraction=0.3)
    build_dataset(folder.root, config, log=lambda line: None)
    records = [json.loads(line) for line in (folder.dataset_dir / "train.jsonl").read_text().splitlines()]
    answers = {r["messages"][-1]["content"] for r in records if r["meta"]["kind"] == "identity"}
    assert {"I’m Tobias.", "No, I’m Tobias.", "I am. I’m Tobias."} <= answers
    assert not [answer for answer in answers if "I am " in answer]


def test_identity_questions_are_not_the_ones_eval_asks():
    from botsmith.dataset.identity import EXCHANGES
    from botsmith.eval.fidelity import IDENTITY_PROBES

    asked = [probe.casefold().rstrip("?.") for probe in IDENTITY_PROBES]  # who are you / what is your name / ...
    assert all(probe not in question.casefold() for question, _ in EXCHANGES for probe in asked)
    assert len({question for question, _ in EXCHANGES}) == len(EXCHANGES)
