"""Speech turns -> conversations: real changes of speaker, roles, windows, provenance."""

from __future__ import annotations

from botsmith.extract.exchanges import ExchangeOptions, build_exchanges, character_matcher, runs_of
from botsmith.extract.turns import SpeechTurn, Utterance
from botsmith.records import validate_record


def script(*lines: tuple[str | None, str], scene: str = "") -> tuple[str, list[SpeechTurn]]:
    """A text with one line per speech, and its turns with exact offsets."""
    text, turns = "", []
    for speaker, words in lines:
        start = len(text)
        text += words + "\n"
        turns.append(SpeechTurn(speaker, [Utterance(start, start + len(words), words)], context=f"before {words}",
                                scene=scene))
    return text, turns


def build(turns, options, matcher=None, group=lambda turn: "src#0"):
    return build_exchanges(runs_of(turns, group), "src", options, matcher)


def conversations(records):
    return [[(m["role"], m.get("name"), m["content"]) for m in r["messages"]] for r in records]


def test_pairs_follow_changes_of_speaker_and_merge_same_speaker():
    text, turns = script(("Ann", "Hello."), ("Ann", "Are you there?"), ("Ben", "I am."), ("Ann", "Good."))
    records, counts = build(turns, ExchangeOptions(window_turns=0))
    assert conversations(records) == [
        [("system", None, "You are Ben."), ("user", "Ann", "Hello. Are you there?"), ("assistant", None, "I am.")],
        [("system", None, "You are Ann."), ("user", "Ben", "I am."), ("assistant", None, "Good.")],
    ]
    assert counts.turns == 3 and counts.utterances == 4 and counts.pairs == 2
    meta = records[0]["meta"]
    assert (meta["source"], meta["group"], meta["speakers"], meta["kind"]) == ("src", "src#0", ["Ann", "Ben"], "pair")
    assert text[meta["start"]:meta["end"]] == "Hello.\nAre you there?\nI am."
    for record in records:
        validate_record(record, "test")


def test_the_bot_system_prompt_wins_and_context_is_optional():
    _, turns = script(("Ann", "Hello."), ("Ben", "Hi."))
    records, _ = build(turns, ExchangeOptions(window_turns=0, system_prompt="Be brief.", context=True))
    assert records[0]["messages"][0] == {"role": "system", "content": "Be brief.\n\nbefore Hello."}


def test_unknown_speakers_are_boundaries_unless_alternation_proves_them():
    _, turns = script(("Ann", "One."), (None, "Two."), ("Ann", "Three."), (None, "Four."), ("Ben", "Five."))
    records, _ = build(turns, ExchangeOptions(window_turns=0))
    # Ann ? Ann: the ? is someone else, kept as a user; ? between Ann and Ben is a boundary.
    assert conversations(records) == [
        [("system", None, "You are Ann."), ("user", None, "Two."), ("assistant", None, "Three.")],
    ]


def test_scenes_and_groups_are_never_crossed():
    _, first = script(("Ann", "One."), ("Ben", "Two."), scene="I")
    _, second = script(("Ann", "Three."), ("Ben", "Four."), scene="II")
    records, _ = build(first + second, ExchangeOptions(window_turns=0))
    assert [c[-1][2] for c in conversations(records)] == ["Two.", "Four."]
    records, _ = build(first, ExchangeOptions(window_turns=0), group=lambda turn: turn.text)  # every turn its own chapter
    assert records == []


def test_character_mode_roles_and_windows():
    _, turns = script(("Hor", "A."), ("Mar", "B."), ("Hamlet", "C."), ("Hor", "D."), ("Hamlet", "E."),
                      ("Hamlet", "F."), ("Mar", "G."))
    matcher = character_matcher("hamlet", {"Hamlet", "Hor", "Mar"})
    records, counts = build(turns, ExchangeOptions(character="Hamlet", window_turns=6), matcher)
    pairs = [c for r, c in zip(records, conversations(records)) if r["meta"]["kind"] == "pair"]
    windows = [c for r, c in zip(records, conversations(records)) if r["meta"]["kind"] == "window"]
    assert pairs == [
        [("system", None, "You are Hamlet."), ("user", "Mar", "B."), ("assistant", None, "C.")],
        [("system", None, "You are Hamlet."), ("user", "Hor", "D."), ("assistant", None, "E. F.")],
    ]
    # one window: starts on a user turn, ends on Hamlet's turn, the trailing user turn left out
    assert windows == [[("system", None, "You are Hamlet."), ("user", "Hor", "A."), ("user", "Mar", "B."),
                        ("assistant", None, "C."), ("user", "Hor", "D."), ("assistant", None, "E. F.")]]
    assert counts.pairs == 2 and counts.windows == 1


def test_unknown_speakers_are_never_the_character():
    _, turns = script(("Hamlet", "A."), (None, "B."), ("Hamlet", "C."))
    matcher = character_matcher("Hamlet", {"Hamlet"})
    records, _ = build(turns, ExchangeOptions(character="Hamlet", window_turns=0), matcher)
    assert conversations(records) == [[("system", None, "You are Hamlet."), ("user", None, "B."), ("assistant", None, "C.")]]


def test_windows_without_a_character_answer_as_the_last_speaker():
    _, turns = script(("Ann", "1."), ("Ben", "2."), ("Ann", "3."), ("Ben", "4."), ("Cat", "5."))
    records, _ = build(turns, ExchangeOptions(window_turns=4, pairs=False))
    assert conversations(records) == [
        [("system", None, "You are Ben."), ("user", "Ann", "1."), ("assistant", None, "2."), ("user", "Ann", "3."),
         ("assistant", None, "4.")],
    ]


def test_character_matching():
    speakers = {"Elizabeth Bennet", "Elizabeth", "Jane Bennet", "Mr. Darcy", "Darcy", "Mr. Bennet", "Mrs. Bennet",
                "Rosencrantz and Guildenstern", "Guildenstern"}

    def matched(name):
        return {s for s in speakers if character_matcher(name, speakers)(s)}

    assert matched("elizabeth") == {"Elizabeth Bennet", "Elizabeth"}
    assert matched("Darcy") == matched("Mr. Darcy") == {"Mr. Darcy", "Darcy"}
    assert matched("Mrs. Bennet") == {"Mrs. Bennet"}
    assert matched("Guildenstern") == {"Guildenstern"}
    assert matched("Hamlet") == set()
    assert matched("Elizabeth, Mr. Darcy") == {"Elizabeth Bennet", "Elizabeth", "Mr. Darcy", "Darcy"}


def test_a_married_name_is_the_wife_not_the_husband():
    speakers = {"John Dashwood", "Mrs. John Dashwood", "Mrs. Dashwood"}
    assert {s for s in speakers if character_matcher("John Dashwood", speakers)(s)} == {"John Dashwood"}
    assert {s for s in speakers if character_matcher("Mrs. John Dashwood", speakers)(s)} == {"Mrs. John Dashwood"}


def test_a_character_dataset_leaves_out_every_line_of_an_unknown_speaker():
    _, turns = script(("Ann", "Tea?"), (None, "Please."), ("Ann", "Milk?"), ("Ben", "No."))
    everyone = [[said.text for said in piece] for _, piece in runs_of(turns, lambda turn: "g")]
    assert everyone == [["Tea?", "Please.", "Milk?", "No."]]  # alternation proves the unknown is not Ann
    for_ann = [[said.text for said in piece] for _, piece in runs_of(turns, lambda turn: "g", drop_unknown=True)]
    assert for_ann == [["Tea?"], ["Milk?", "No."]]


def test_someone_the_narration_pointed_at_without_a_name_is_the_other_side_never_the_bot():
    _, turns = script(("Ann", "Tea?"), (None, "Please."), (None, "With milk."), ("Ann", "Here."), (None, "Thanks."))
    for turn in turns[1:3]:  # one unnamed person (`One morning, she said to Ann,--`), speaking twice
        turn.extra = {"speaker_id": "#1", "someone_else": True}
    pieces = [[said.text for said in piece] for _, piece in runs_of(turns, lambda turn: "g", drop_unknown=True)]
    assert pieces == [["Tea?", "Please. With milk.", "Here."]]  # the plain unknown at the end is still left out
    matcher = character_matcher("Ann", {"Ann"})
    records, _ = build_exchanges(runs_of(turns, lambda turn: "g", drop_unknown=True), "src",
                                 ExchangeOptions(character="Ann", window_turns=0), matcher)
    assert conversations(records) == [[("system", None, "You are Ann."), ("user", None, "Please. With milk."),
                                       ("assistant", None, "Here.")]]
