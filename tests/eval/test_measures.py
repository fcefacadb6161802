"""The measures on text alone: persona leaks, identity, Burrows' Delta, repetition."""

from __future__ import annotations

import random

import pytest

from botsmith.eval import fidelity
from botsmith.eval.probes import Probe, Replies, Reply, chat_probes, spread
from botsmith.dataset.identity import identity_records
from botsmith.eval.scores import chat_scores, real_lines, speaker_lines, voice_texts
from botsmith.eval.stylometry import DeltaSpace, matched_deltas, reference_chunks, words


@pytest.mark.parametrize("reply", [
    "I'm a friendly and curious AI designed to assist users.", "As an A.I. language model, I cannot say.",
    "I am SmolLM, trained by Hugging Face.", "I'm your virtual assistant!", "I am a chatbot.",
    "I'm just a helpful assistant created by OpenAI.", "Yes, I am a robot.",
    # a denial does not cover a claim in the next clause or sentence
    "No, I am an AI assistant.", "I'm not a chatbot. I am a personal assistant.",
    "I'm not really an AI, but I do have a conversational AI assistant.",
])
def test_replies_that_give_the_model_away_are_leaks(reply):
    assert fidelity.leaks(reply, fidelity.leak_pattern("smollm2-135m"))


@pytest.mark.parametrize("reply", [
    "I am Elizabeth Bennet, and I dearly love a laugh.", "Mr. Darcy is all politeness, said she.",
    "I said again, I shall not be detained.", "Her aid was wanted in the kitchen.",
    # asked if it is one, a denial stays in character
    "No, I am not a robot.", "An AI? I am no such thing; I am Elizabeth.", "I'm not an assistant, sir!",
])
def test_a_character_speaking_is_not_a_leak(reply):
    assert not fidelity.leaks(reply, fidelity.leak_pattern("smollm2-135m"))


def test_the_base_models_own_name_is_a_leak():
    assert fidelity.leaks("Hi, I am Tinyllama.", fidelity.leak_pattern("/models/tinyllama-1b"))
    assert not fidelity.leaks("Hi, I am Tinyllama.", fidelity.leak_pattern("smollm2-135m"))


def test_identity_names_the_character_and_does_not_leak():
    names = fidelity.identity_names(["Elizabeth", "Miss Elizabeth Bennet"])
    assert names == {"elizabeth", "bennet"}
    leak = fidelity.leak_pattern("smollm2-135m")
    assert fidelity.answers_as("My name is Elizabeth Bennet.", names, leak)
    assert not fidelity.answers_as("I am Elizabeth, an AI assistant.", names, leak)
    assert not fidelity.answers_as("I am Jane.", names, leak)


@pytest.mark.parametrize(("reply", "answers"), [
    ("I am Elizabeth, a lady of the world.", True), ("I'm Miss Bennet, sir.", True), ("Elizabeth Bennet.", True),
    ("I’m Elizabeth.", True), ("My name’s Elizabeth.", True),  # typographic apostrophes, as the books print them
    ("Why, it is I, Elizabeth!", True), ("They call me Elizabeth at home.", True), ("Elizabeth", True),
    ("My dear Elizabeth, I am a humble servant of the ancient ones.", False),  # addressed, not named as herself
    ("Elizabeth is my sister, and I am Jane.", False), ("I am Emily Wilson.", False),
    ("I am not Elizabeth's keeper.", False),
])
def test_identity_is_naming_oneself_as_the_character(reply, answers):
    names = fidelity.identity_names(["Elizabeth", "Miss Elizabeth Bennet"])
    assert fidelity.answers_as(reply, names, fidelity.leak_pattern("smollm2-135m")) is answers


def _speaker(rng: random.Random, favourite: list[str], count: int) -> str:
    common = "the a and to it was in that".split()
    return " ".join(rng.choice(favourite if rng.random() < 0.4 else common) for _ in range(count))


def test_delta_is_smaller_within_one_voice_than_between_two():
    rng = random.Random(0)
    formal = "of which whom shall indeed upon".split()
    casual = "you i just really so like".split()
    corpus = {"formal": [_speaker(rng, formal, 2000)], "casual": [_speaker(rng, casual, 2000)]}
    space = DeltaSpace(reference_chunks(corpus))
    one, two, other = (words(_speaker(rng, voice, 600)) for voice in (formal, formal, casual))
    assert space.delta(one, two) < 0.5 * space.delta(one, other)
    assert space.delta(one, one) == 0.0 and space.delta([], one) is None


def test_matched_deltas_compare_samples_of_one_length():
    rng = random.Random(1)
    formal, casual = "of which whom shall indeed upon".split(), "you i just really so like".split()
    space = DeltaSpace(reference_chunks({"formal": [_speaker(rng, formal, 3000)], "casual": [_speaker(rng, casual, 3000)]}))
    target = words(_speaker(rng, formal, 1500))
    long, short, other = words(_speaker(rng, formal, 6000)), words(_speaker(rng, formal, 500)), words(_speaker(rng, casual, 900))
    assert space.delta(long, target) < 0.7 * space.delta(short, target)  # plain Delta favours the longer text
    values, size = matched_deltas(space, {"long": long, "short": short, "other": other}, target)
    assert size == 500
    assert abs(values["long"] - values["short"]) < 0.25 * values["short"]  # matched: length no longer decides
    assert values["other"] > 1.5 * max(values["long"], values["short"])


def test_delta_needs_a_few_reference_chunks():
    with pytest.raises(ValueError, match="at least 3"):
        DeltaSpace(reference_chunks({"one": ["too few words"]}))


def test_the_real_lines_leave_out_the_identity_examples_build_wrote():
    # their stock answers are not the character's lines: in Delta's reference they would favour the bot taught them
    said = {"messages": [{"role": "user", "content": "Are you ill?", "name": "Jane"},
                         {"role": "assistant", "content": "Only tired, Jane."}]}
    records = [said, *identity_records(["Elizabeth"], "You are Elizabeth.", 40)]
    assert real_lines(records) == ["Only tired, Jane."]
    assert speaker_lines(records) == {"Jane": ["Are you ill?"], "assistant": ["Only tired, Jane."]}


def test_distinct_n_finds_loops():
    assert fidelity.distinct_n("the cat sat on the mat", 2) == 1.0
    assert fidelity.distinct_n("and then and then and then and then", 2) == pytest.approx(2 / 7)
    assert fidelity.distinct_n("one", 2) is None


def test_chat_scores_count_leaks_identity_and_stops():
    probes = [Probe("identity", [], "Who are you?"), Probe("heldout", [], "Is he kind?", "He is all kindness."),
              Probe("heldout", [], "And she?", "She is not.")]
    replies = Replies(greedy=[Reply("I am an AI assistant.", "stop", 6), Reply("He is, my dear.", "length", 5), None],
                      sampled=[Reply("I am Elizabeth, of course.", "stop", 5), Reply("Indeed he is.", "stop", 4),
                               Reply("She is the handsomest of the five.", "stop", 8)])
    scores = chat_scores(probes, replies, leak=fidelity.leak_pattern("smollm2-135m"), names={"elizabeth"})
    assert scores["replies"] == 5 and scores["persona_leaks"] == 1
    assert scores["leak_examples"][0]["phrases"] == ["AI", "assistant"]
    assert scores["identity"] == 1 and scores["identity_probes"] == 2
    # length as a user reads it: the sampled replies to held-out lines (3 and 7 words), not the greedy one
    assert scores["ended_on_their_own"] == 0.8 and scores["mean_words"] == 5.0
    assert voice_texts(probes, replies) == ["Indeed he is.", "She is the handsomest of the five."]


def test_persona_questions_count_the_replies_that_say_no_or_who_it_is():
    probes = [Probe("persona", [], "Are you an AI?"), Probe("persona", [], "Are you a robot?"),
              Probe("persona", [], "Are you a chatbot?"), Probe("heldout", [], "And she?", "She is not.")]
    replies = Replies(greedy=[Reply("I am a helpful AI assistant.", "stop", 6), None, Reply("I am Elizabeth.", "stop", 4),
                              None],
                      sampled=[Reply("No, I am not an AI.", "stop", 6), Reply("No, I am not a human being.", "stop", 5),
                               Reply("Yes, I am.", "stop", 4), Reply("She is the handsomest of the five.", "stop", 8)])
    scores = chat_scores(probes, replies, leak=fidelity.leak_pattern("smollm2-135m"), names={"elizabeth"})
    # in character: the denial and her name; not the claim (a leak like any other), a no that denies she is human,
    # nor a bare yes
    assert scores["persona_probes"] == 5 and scores["denies_ai"] == 2 and scores["persona_leaks"] == 1
    assert voice_texts(probes, replies) == ["She is the handsomest of the five."]


def test_greedy_replies_stand_in_when_eval_did_not_sample():
    probes = [Probe("heldout", [], "Is he kind?", "He is all kindness.")]
    assert voice_texts(probes, Replies(greedy=[Reply("He is.", "stop", 3)], sampled=[None])) == ["He is."]


def test_delta_is_withheld_below_the_words_it_needs():
    rng = random.Random(2)
    formal = "of which whom shall indeed upon".split()
    space = DeltaSpace(reference_chunks({"formal": [_speaker(rng, formal, 3000)]}))
    target = words(_speaker(rng, formal, 1500))
    values, size = matched_deltas(space, {"a": words(_speaker(rng, formal, 499)), "b": target}, target)
    assert size == 499 and values == {"a": None, "b": None}
    values, size = matched_deltas(space, {"a": words(_speaker(rng, formal, 500)), "b": target}, target)
    assert size == 500 and values["a"] is not None


@pytest.mark.parametrize(("size", "says"), [(0, "too little text"), (120, "needs 500+ words of replies, had 120"),
                                            (800, "800-word samples")])
def test_the_delta_row_says_why_it_is_missing(size, says):
    from botsmith.eval.summary import rows

    report = {"mode": "dialogue", "character": "Elizabeth", "perplexity": {r: {"perplexity": 9.0} for r in ("before", "after")},
              "scores": {"before": {"persona_leaks": 0, "replies": 1}, "after": {"persona_leaks": 0, "replies": 1},
                         "delta_words": size}}
    (row,) = [row for row in rows(report) if row[0].startswith("Burrows' Delta")]
    assert says in row[0] and row[1:3] == ("-", "-")


@pytest.mark.parametrize(("held_out", "warned"), [(494, True), (500, False), (1844, False)])
def test_delta_against_few_held_out_words_says_so(held_out, warned):
    from botsmith.eval.summary import line, rows

    # a quiet heroine (Anne of Persuasion: 15 held-out lines, 494 words) gives Delta a target as noisy as a short sample
    report = {"mode": "dialogue", "character": "Anne", "perplexity": {r: {"perplexity": 9.0} for r in ("before", "after")},
              "scores": {"before": {"persona_leaks": 0, "replies": 1, "delta": 1.02},
                         "after": {"persona_leaks": 0, "replies": 1, "delta": 1.04},
                         "real": {"held_out_words": held_out, "delta": 0.96}, "delta_words": 1000, "delta_change_p": 0.58}}
    (row,) = [row for row in rows(report) if row[0].startswith("Burrows' Delta")]
    note = f"only {held_out} held-out words to compare with: too few to rely on"
    assert (note in row[0]) == warned and row[1:] == ("1.02", "1.04", "0.96")
    assert line(report).endswith("Delta to Anne 1.02 -> 1.04 (p = 0.58: within the noise"
                                 + (f"; {note})" if warned else ")"))


def test_probes_are_spread_over_the_held_out_examples():
    assert spread(list(range(10)), 3) == [0, 3, 6]
    assert spread([1, 2], 5) == [1, 2, 1, 2, 1] and spread([], 3) == [] and spread([1, 2], 0) == []


def test_each_held_out_reply_is_asked_once_with_its_longest_context():
    def record(*turns):
        roles = ["user", "assistant"] * 3
        return {"messages": [{"role": "system", "content": "You are Elizabeth."}]
                + [{"role": role, "content": text} for role, text in zip(roles, turns)]}

    pair = record("How is Jane?", "Better, I thank you.")
    window = record("You look pale.", "I am well.", "How is Jane?", "Better, I thank you.")
    other = record("Shall you dance?", "Not with him.")
    heldout = [p for p in chat_probes([pair, window, other], 4) if p.kind == "heldout"]
    assert [p.reference for p in heldout] == ["Better, I thank you.", "Not with him.", "Better, I thank you.", "Not with him."]
    assert heldout[0].messages == window["messages"][:-1]


def test_the_permutation_test_tells_a_real_change_from_the_luck_of_the_draw():
    from botsmith.eval.stylometry import change_p_value

    rng = random.Random(3)
    formal, casual = "of which whom shall indeed upon".split(), "you i just really so like".split()
    space = DeltaSpace(reference_chunks({"formal": [_speaker(rng, formal, 3000)], "casual": [_speaker(rng, casual, 3000)]}))
    target = words(_speaker(rng, formal, 1500))
    replies = lambda voice: [words(_speaker(rng, voice, 40)) for _ in range(30)]  # noqa: E731
    casual_replies, formal_replies, more_formal = replies(casual), replies(formal), replies(formal)
    assert change_p_value(space, casual_replies, formal_replies, target) < 0.01  # moved to the target's voice
    assert change_p_value(space, formal_replies, more_formal, target) > 0.2  # two draws of one voice
    assert change_p_value(space, casual_replies[:5], formal_replies[:5], target) is None  # 200 words: no Delta


@pytest.mark.parametrize(("before", "after", "p_value", "says"), [
    (0.80, 0.70, 0.01, "p = 0.01: closer"), (0.70, 0.80, 0.02, "p = 0.02: further"),
    (0.80, 0.70, 0.40, "p = 0.4: within the noise"), (0.70, 0.80, 0.053, "p = 0.053: within the noise"),
])
def test_the_summary_says_whether_delta_changed_beyond_chance(before, after, p_value, says):
    from botsmith.eval.summary import line, rows

    report = {"mode": "dialogue", "character": "Elizabeth", "perplexity": {r: {"perplexity": 9.0} for r in ("before", "after")},
              "scores": {"before": {"persona_leaks": 0, "replies": 1, "delta": before},
                         "after": {"persona_leaks": 0, "replies": 1, "delta": after},
                         "delta_words": 1000, "delta_change_p": p_value}}
    assert ("change in Delta beyond chance? (paired permutation test)", "", says, "") in rows(report)
    assert line(report).endswith(f"Delta to Elizabeth {before:.2f} -> {after:.2f} ({says})")


def test_style_markers_count_what_a_reader_sees():
    from botsmith.eval.markers import MARKERS, tally

    text = "I'm sure it's Jane's; don't you think so? Yes! He said -- well — nothing."
    counted = {marker.key: tally(marker, text)[1] for marker in MARKERS}
    assert tally(MARKERS[0], text)[0] == 13  # words: I'm, it's, Jane's and don't count once each
    assert counted["contractions"] == 3  # I'm, it's, don't; "Jane's" is a possessive
    assert (counted["semicolons"], counted["questions"], counted["exclamations"], counted["dashes"]) == (1, 1, 1, 2)
    assert counted["sentence_words"] == 3  # "so?", "Yes!", "nothing."


def _replies(rng: random.Random, sentences: list[str], count: int) -> list[str]:
    return [" ".join(rng.choice(sentences) for _ in range(4)) for _ in range(count)]


def test_style_markers_tell_a_real_move_from_the_luck_of_the_draw():
    from botsmith.eval.markers import marker_scores, verdict

    rng = random.Random(5)
    modern = ["I'm sure it's fine, don't worry about it.", "That's what I'd say to her.", "You can't be serious."]
    austen = ["I am sure it is well; but you must not think of it.", "Indeed, I should not; he is gone.",
              "It is a truth which I cannot deny; and yet I do."]
    before, after, real = _replies(rng, modern, 30), _replies(rng, austen, 30), _replies(rng, austen, 20)
    moved = marker_scores(before, after, real)
    assert moved["contractions"]["before"] > 50 and moved["contractions"]["after"] == 0 == moved["contractions"]["real"]
    assert verdict(moved["contractions"]) == "closer" and verdict(moved["semicolons"]) == "closer"
    assert moved["semicolons"]["p"] < 0.01
    same = marker_scores(after, _replies(rng, austen, 30), real)  # two draws of one voice
    assert all(verdict(values) == "within the noise" for values in same.values())
    assert marker_scores(before[:2], after[:2], real) == {}  # under 100 words of replies: no rates


def test_the_summary_shows_the_style_markers_and_what_moved():
    from botsmith.eval.summary import line, rows

    markers = {"semicolons": {"before": 1.2, "after": 10.1, "real": 9.5, "p": 0.003},
               "commas": {"before": 54.4, "after": 53.2, "real": 67.9, "p": 0.83},
               "word_letters": {"before": 4.3, "after": 3.86, "real": 4.2, "p": 0.003}}
    report = {"mode": "dialogue", "character": "Elizabeth", "perplexity": {r: {"perplexity": 9.0} for r in ("before", "after")},
              "scores": {"before": {"persona_leaks": 0, "replies": 1}, "after": {"persona_leaks": 0, "replies": 1},
                         "delta_words": 0, "markers": markers}}
    assert ("semicolons per 1,000 words (p = 0.003: closer)", "1.2", "10.1", "9.5") in rows(report)
    assert ("commas per 1,000 words (p = 0.83: within the noise)", "54.4", "53.2", "67.9") in rows(report)
    assert ("letters per word (p = 0.003: further)", "4.30", "3.86", "4.20") in rows(report)
    assert line(report).endswith("style markers nearer the real text 1/3, further 1/3")
    from botsmith.eval.compare import COLUMNS, comparison_rows

    report["checkpoint"] = {"run": "20261205-1223", "step": 28, "val_loss": 3.5}
    (row,) = comparison_rows([report])
    assert dict(zip(COLUMNS, row))["markers nearer/further"] == "1/1 of 3"
    assert dict(zip(COLUMNS, row))["asked if AI: no"] == "-"  # a report from before eval asked
    report["scores"]["after"].update(denies_ai=6, persona_probes=12)
    assert dict(zip(COLUMNS, comparison_rows([report])[0]))["asked if AI: no"] == "6/12"
