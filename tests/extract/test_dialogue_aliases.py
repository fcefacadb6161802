"""The other names one character goes by, linked from a book's cast (botsmith.extract.dialogue.aliases)."""

from __future__ import annotations

from collections import Counter

from botsmith.extract.dialogue.aliases import alias_table, titled_forms
from botsmith.extract.dialogue.attribution import Cue
from botsmith.extract.dialogue.cast import Cast

FAMILY = "Emma Woodhouse, handsome and rich. Emma Woodhouse laughed. Emma Woodhouse went home to Mr. Woodhouse. "


def test_miss_and_a_surname_is_the_one_woman_the_book_gives_that_surname() -> None:
    names = Counter({"Emma": 30, "Miss Woodhouse": 4, "Mr. Woodhouse": 9, "Jane": 6, "Miss Fairfax": 3,
                     "Miss Bates": 5})
    text = FAMILY + "Jane Fairfax came. Jane Fairfax sang. Jane Fairfax left. Jane Bates was her mother."
    aliases = alias_table(names, Counter({"Emma": 30, "Jane": 6, "Miss Fairfax": 1}), text)
    assert aliases["Miss Woodhouse"] == "Emma" and aliases["Miss Fairfax"] == "Jane"
    assert "Miss Bates" not in aliases  # Jane is a Fairfax; one `Jane Bates` does not make her Miss Bates


def test_the_name_tags_use_more_is_the_one_kept() -> None:
    names = Counter({"Caroline": 2, "Miss Bingley": 20})
    text = "Caroline Bingley smiled. Caroline Bingley sat. Caroline Bingley rose."
    assert alias_table(names, Counter({"Miss Bingley": 20, "Caroline": 1}), text)["Caroline"] == "Miss Bingley"


def test_a_younger_sister_called_miss_and_her_first_name_is_not_the_eldest() -> None:
    # `Miss Dashwood` is Elinor, whose surname the book never writes after her first name
    names = Counter({"Elinor": 40, "Marianne": 30, "Miss Dashwood": 10})
    text = "Marianne Dashwood wept. Marianne Dashwood sang. Marianne Dashwood rode. Miss Marianne, Miss Marianne."
    assert "Miss Dashwood" not in alias_table(names, Counter({"Elinor": 40, "Marianne": 30}), text)
    # nor two women of the family, nor a man
    names = Counter({"Jane": 3, "Lydia": 3, "Frank": 5, "Miss Bennet": 9, "Miss Churchill": 2})
    text = "Jane Bennet. " * 3 + "Lydia Bennet. " * 3 + "Frank Churchill. " * 5
    aliases = alias_table(names, Counter({"Jane": 3, "Lydia": 3, "Frank": 5}), text)
    assert "Miss Bennet" not in aliases and "Miss Churchill" not in aliases


def test_a_full_name_with_a_title_of_its_gender_is_the_same_man() -> None:
    names = Counter({"Mr. John Knightley": 28, "John Knightley": 19, "Mrs. John Knightley": 8, "Mr. Knightley": 50})
    aliases = alias_table(names, Counter(names), "Mr. John Knightley and Mrs. John Knightley.")
    assert aliases["John Knightley"] == "Mr. John Knightley"
    assert "Mrs. John Knightley" not in aliases  # his wife


def test_a_first_name_shared_with_a_titled_man_of_another_surname_stays_apart() -> None:
    names = Counter({"Sir John": 60, "Sir John Middleton": 3, "John Dashwood": 9, "John": 4, "Elinor": 50})
    aliases = alias_table(names, Counter({"Sir John": 60, "John Dashwood": 3, "Elinor": 50}), "Sir John Middleton.")
    assert "John Dashwood" not in aliases
    assert aliases.get("Sir John Middleton") == "Sir John"


def test_a_mr_may_be_the_man_the_book_names_in_full_untitled_only() -> None:
    text = "Henry Tilney came. Henry Tilney sat. Henry Tilney left. " * 2
    assert titled_forms("Henry", ["Mr. Tilney", "General Tilney", "Miss Tilney"], text) == {"Mr. Tilney": 6}
    assert titled_forms("Eleanor", ["Mr. Tilney"], "Eleanor Tilney came. " * 4) == {}  # a woman is no Mr.
    # after a title the full name is someone else's: Sir Walter Elliot is no Walter Elliot
    assert titled_forms("Walter", ["Mr Elliot"], "Sir Walter Elliot came. " * 5 + "Walter Elliot left.") == {}
    # a book that writes `Mr. Frank Churchill` often tells him so from another Mr. Churchill, his uncle
    text = "Frank Churchill came. " * 8 + "Mr. Frank Churchill bowed. " * 4
    assert titled_forms("Frank", ["Mr. Churchill"], text) == {}
    assert titled_forms("Frank", ["Mr. Churchill"], "Frank Churchill came. " * 8 + "Mr. Frank Churchill bowed.") \
        == {"Mr. Churchill": 8}


def test_a_surname_after_a_first_name_is_that_persons_not_the_mr_of_the_surname() -> None:
    text = ("“Good morning,” said Anne.\n\n“Good morning,” said Mr Elliot.\n\n“Well,” said Elliot.\n\n"
            "“So,” said Captain Wentworth.\n\nCaptain Wentworth found himself almost alone with Anne Elliot.\n")
    cast = Cast.from_cues(text, [Cue("name", "Anne", "f"), Cue("name", "Mr Elliot", "m"), Cue("name", "Elliot", None),
                                 Cue("name", "Captain Wentworth", "m")])
    assert cast.mentions("he found himself almost alone with Anne Elliot, deprived") == ["Anne"]
    assert cast.mentions("Elliot came in, and Anne, Elliot and he sat down") == ["Mr Elliot", "Anne", "Mr Elliot"]
