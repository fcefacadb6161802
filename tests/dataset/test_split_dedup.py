"""Split by group with a seed; exact and near-duplicate removal."""

from __future__ import annotations

from botsmith.dataset.dedup import dedup_records, exact_key
from botsmith.dataset.split import split_records
from botsmith.records import conversation, fragment, turn


def records_in_groups(sizes: dict[str, int]) -> list[dict]:
    return [fragment(f"{group} passage {i}", group=group) for group, size in sizes.items() for i in range(size)]


def test_groups_stay_whole_and_the_fraction_is_approached():
    records = records_in_groups({f"book#{i}": 10 for i in range(20)})
    split = split_records(records, 0.1, seed=7)
    assert split.unit == "group" and len(split.validation) == 20 and len(split.validation_groups) == 2
    train_groups = {r["meta"]["group"] for r in split.train}
    assert not train_groups & set(split.validation_groups)
    assert split_records(records, 0.1, seed=7).validation_groups == split.validation_groups  # seeded
    assert any(split_records(records, 0.1, seed=s).validation_groups != split.validation_groups for s in range(5))


def test_validation_is_never_empty_and_train_keeps_a_group():
    split = split_records(records_in_groups({"a#0": 1, "b#0": 30}), 0.01, seed=0)
    assert split.validation and split.train
    split = split_records(records_in_groups({"a#0": 30, "b#0": 30}), 0.9, seed=0)
    assert len(split.validation) == 30 and len(split.train) == 30


def test_one_group_falls_back_to_records_with_a_warning():
    split = split_records(records_in_groups({"only#0": 10}), 0.2, seed=0)
    assert split.unit == "record" and len(split.validation) == 2 and len(split.train) == 8
    assert "split by single examples" in split.warnings[0]
    tiny = split_records(records_in_groups({"only#0": 2}), 0.1, seed=0)
    assert len(tiny.validation) == 1 and len(tiny.train) == 1


def test_no_validation_when_asked_or_with_one_example():
    assert split_records(records_in_groups({"a": 3, "b": 3}), 0.0, seed=0).validation == []
    assert split_records(records_in_groups({"a": 1}), 0.5, seed=0).warnings == ["only 1 example: no validation set"]


LONG = ("the keeper climbed the stair at dusk and found the lamp cold and the glass dark so he struck a match "
        "and waited for the flame to take before he closed the little door of brass")


def test_exact_duplicates_ignore_case_spacing_and_punctuation():
    a = fragment("The lamp, was lit!")
    b = fragment("the   LAMP was lit")
    assert exact_key(a) == exact_key(b)
    result = dedup_records([a, b, fragment("The lamp was out.")], 0.8)
    assert (len(result.kept), result.exact, result.near) == (2, 1, 0)


def test_near_duplicates_are_found_and_the_first_is_kept():
    edited = LONG.replace("brass", "iron")
    other = "a completely different passage about the harbour master and his two grey dogs at the pier today"
    result = dedup_records([fragment(LONG), fragment(edited), fragment(other)], 0.8)
    assert [r["text"] for r in result.kept] == [LONG, other] and result.near == 1
    assert dedup_records([fragment(LONG), fragment(edited)], 1.0).near == 0  # 1.0: exact only


def test_a_speech_as_answer_then_as_question_is_not_a_duplicate():
    first = conversation([turn("user", "Hello."), turn("assistant", LONG)], kind="pair")
    second = conversation([turn("user", LONG), turn("assistant", "Yes.")], kind="pair")
    assert len(dedup_records([first, second], 0.5).kept) == 2


def test_a_window_is_not_a_duplicate_of_its_pair():
    pair = conversation([turn("user", "Well?"), turn("assistant", LONG)], kind="pair")
    window = conversation([turn("user", "Hi."), turn("assistant", "Oh."), turn("user", "Well?"),
                           turn("assistant", LONG)], kind="window")
    assert len(dedup_records([pair, window], 0.5).kept) == 2
    other_pair = conversation([turn("user", "Well then?"), turn("assistant", LONG)], kind="pair")
    assert dedup_records([pair, other_pair], 0.8).near == 1
