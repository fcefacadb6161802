"""The other names one character goes by: `Lizzy` and `Eliza` are Elizabeth, `Tilney` is Mr. Tilney,
`Sir Walter Elliot` is Sir Walter, `Elizabeth Bennet` is Elizabeth.

Linking them matters twice: a vocative (`When is your next ball to be, Lizzy?`) names the
likely next speaker, and a narration that says `his name was Tilney` puts Mr. Tilney in the
scene for the `he said` that follows. A speaker tagged under two names is one speaker.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from botsmith.extract.dialogue.attribution import TITLES, first_name_gender, title_gender
from botsmith.extract.dialogue.given_names import FIRST_NAME_GENDER

# Common English pet forms of first names (nickname -> the full name a tag would use).
_PET_NAMES = {
    "Elizabeth": "Lizzy Lizzie Eliza Liz Libby Betsy Betsey Bess Bessie Beth Betty",
    "Catherine": "Kitty Kate Katie Cathy", "Katherine": "Kitty Kate Katie Kathy",
    "Margaret": "Meg Maggie Peggy Madge", "Mary": "Polly Molly Mamie", "Jane": "Jenny Janey",
    "Frances": "Fanny", "Anne": "Annie Nan Nancy", "Ann": "Annie Nan Nancy", "Henry": "Harry Hal",
    "William": "Will Willy Billy", "Robert": "Bob Bobby Rob", "Richard": "Dick Dickon",
    "Edward": "Ned Ted Teddy", "Thomas": "Tom Tommy", "James": "Jim Jimmy Jem", "John": "Jack Johnny",
    "Charles": "Charley Charlie", "Eleanor": "Nell Nelly Nellie", "Elinor": "Nell Nelly",
    "Susan": "Sukey Susie", "Sarah": "Sally", "Isabella": "Bella", "Emily": "Emmy", "Georgiana": "Georgy",
    "Benjamin": "Ben", "Joseph": "Joe", "Samuel": "Sam", "Alexander": "Alec Sandy", "Lydia": "Liddy",
    "Matilda": "Tilly", "Dorothy": "Dolly Dora", "Caroline": "Carrie", "Harriet": "Hatty",
}
PET_NAMES = {pet: full for full, pets in _PET_NAMES.items() for pet in pets.split()}
_MALE_FIRST = ("Mr.", "Mr", "Sir", "Colonel", "Captain", "Lord", "Dr.", "Admiral", "General", "Major")


def alias_table(names: Counter[str], tagged: Counter[str], text: str) -> dict[str, str]:
    """other name -> the name a character is known by, for the names of a book's cast."""
    return names_and_sisters(names, tagged, text)[0]


def names_and_sisters(names: Counter[str], tagged: Counter[str],
                      text: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(`alias_table`, `Miss Bennet` -> the women she may be in a scene: `_shared_misses`), from one pass over
    the book for first names before surnames."""
    aliases: dict[str, str] = {}
    for name in names:
        words = name.split()
        if len(words) == 2 and words[0] in names and words[0].lower() not in TITLES and not _namesake(words, names):
            aliases[name] = words[0]  # "Elizabeth Bennet" speaks as "Elizabeth"
        elif len(words) == 3 and " ".join(words[:2]) in names and title_gender(name):
            aliases[name] = " ".join(words[:2])  # "Sir Walter Elliot" is "Sir Walter"
    pets = [pet for pet, full in PET_NAMES.items()
            if full in names and pet not in aliases and tagged[pet] <= tagged[full]]
    if pets:  # one pass over the book for all of them
        used = set(re.findall(r"\b(?=[A-Z])(?:" + "|".join(pets) + r")\b", text))
        aliases.update({pet: PET_NAMES[pet] for pet in pets if pet in used})
    aliases.update(_titled_full_names(names, tagged, aliases))
    misses, pairings = _miss_pairings(names, text, aliases)
    aliases.update(_miss_surnames(text, tagged, misses, pairings))
    aliases.update(_surnames(names, aliases))
    return aliases, _shared_misses(misses, pairings, aliases)


def _namesake(words: list[str], names: Counter[str]) -> bool:
    """Whether a titled character shares the first name under another surname: with `Sir John Middleton` in
    the book, `John Dashwood` is not the `John` who is Sir John."""
    first, surname = words
    return any(len(other.split()) == 3 and other.split()[1] == first and other.split()[2] != surname
               and title_gender(other) for other in names)


def _known_by(a: str, b: str, tagged: Counter[str]) -> tuple[str, str]:
    """(alias, name) for two names of one character: the name is the one tags use more (the first on a tie)."""
    return (a, b) if tagged[b] > tagged[a] else (b, a)


def _titled_full_names(names: Counter[str], tagged: Counter[str], known: dict[str, str]) -> dict[str, str]:
    """`John Knightley` is `Mr. John Knightley`: a full name with and without a title of the same gender (not
    `Mrs. John Knightley`, his wife)."""
    linked = {}
    for name in names:
        words = name.split()
        if len(words) != 3 or name in known or " ".join(words[1:]) not in names:
            continue
        bare = " ".join(words[1:])
        if bare in known or title_gender(name) is None:
            continue
        if first_name_gender(bare) not in (None, title_gender(name)):
            continue
        if words[0] in ("Mrs.", "Mrs") and words[1] in FIRST_NAME_GENDER:
            continue  # `Mrs. John Knightley` is his wife: a married name is never linked
        alias, main = _known_by(name, bare, tagged)
        linked[alias] = main
    return linked


_MISS_PAIRINGS = 3  # times the book writes `Emma Woodhouse` before `Miss Woodhouse` is taken for her
_MISS_FIRST = 2  # `Miss Marianne` this often: she is a younger sister, and `Miss Dashwood` is the eldest


def _miss_surnames(text: str, tagged: Counter[str], misses: dict[str, str], pairings: Counter) -> dict[str, str]:
    """`Miss Woodhouse` is Emma where the book writes `Emma Woodhouse` and no other woman of the cast with
    that surname; split in two, one speaker's turns break the turn-taking of every scene she is in.

    `Miss Dashwood` is the eldest daughter, and a book may never write the eldest's surname
    (`Marianne Dashwood` three times, `Elinor Dashwood` never): a woman the book also calls
    `Miss Marianne` is a younger sister, and is not linked.
    """
    surname_of: dict[str, str] = {}
    for (first, surname), _ in pairings.most_common():
        surname_of.setdefault(first, surname)  # her most frequent surname: `Jane Fairfax`, not `Jane Bates`
    linked = {}
    for surname, miss in misses.items():
        women = [first for first, own in surname_of.items() if own == surname]
        if len(women) != 1 or pairings[(women[0], surname)] < _MISS_PAIRINGS:
            continue
        if len(re.findall(rf"\bMiss\s+{re.escape(women[0])}\b(?!\s+[A-Z])", text)) >= _MISS_FIRST:
            continue
        alias, main = _known_by(miss, women[0], tagged)
        linked[alias] = main
    return linked


def _shared_misses(misses: dict[str, str], pairings: Counter, known: dict[str, str]) -> dict[str, list[str]]:
    """`Miss Bennet` -> the women the book writes with that surname (`Jane Bennet`, `Elizabeth Bennet`,
    `Lydia Bennet`), where there are two or more and no alias made the Miss one of them: sisters, to
    whom the people of a scene say `Miss Bennet` (`SpeakerTracker.vocative`). `known`: every alias."""
    women: dict[str, list[str]] = {}
    for first, surname in pairings:
        if first not in known and misses[surname] not in known:
            women.setdefault(misses[surname], []).append(first)
    return {miss: sorted(firsts) for miss, firsts in women.items() if len(firsts) >= 2}


def _miss_pairings(names: Counter[str], text: str, known: dict[str, str]) -> tuple[dict[str, str], Counter]:
    """(surname -> the cast's `Miss` of it, how often the book writes each of the cast's first names, not a man's,
    right before each of those surnames: `Emma Woodhouse`); names an alias already links are left out."""
    misses = {name.split()[1]: name for name in names
              if len(name.split()) == 2 and name.split()[0] == "Miss" and name not in known}
    firsts = [name for name in names if len(name.split()) == 1 and name.lower() not in TITLES
              and name not in known and first_name_gender(name) != "m"]
    if not misses or not firsts:
        return misses, Counter()
    pattern = re.compile(rf"\b(?=[A-Z])({'|'.join(map(re.escape, firsts))})\s+({'|'.join(map(re.escape, misses))})\b")
    return misses, Counter(match.groups() for match in pattern.finditer(text))


def _surnames(names: Counter[str], known: dict[str, str]) -> dict[str, str]:
    """A bare surname is the titled character of that name, the man first: `Darcy` is Mr. Darcy."""
    by_surname: dict[str, list[str]] = {}
    for name in names:
        words = name.split()
        if len(words) == 2 and words[0].lower() in TITLES and name not in known:
            by_surname.setdefault(words[1], []).append(name)
    linked = {}
    for surname, holders in by_surname.items():
        holders.sort(key=lambda n: (n.split()[0] not in _MALE_FIRST, -names[n]))
        if surname in known or names[surname] > names[holders[0]]:  # a first name: `Miss Lizzy` is Lizzy
            linked.update({holder: surname for holder in holders if holder.split()[0] in ("Miss", "Master")})
        else:
            linked[surname] = holders[0]
    return linked


def family_names(names: Counter[str], text: str) -> dict[str, str]:
    """first name -> surname, where the book writes them together and the surname has a titled holder
    (`Emma Woodhouse` beside `Mr. Woodhouse`): `her father` said by Emma is then Mr. Woodhouse.

    `Miss Elizabeth` and `Lady Catherine` put a title before a first name, not a surname, so a known first
    name counts as a surname only after `Mr.` or `Mrs.`."""
    titled = {words[1] for words in (name.split() for name in names) if len(words) == 2
              and words[0].lower() in TITLES
              and (words[0].rstrip(".") in ("Mr", "Mrs") or first_name_gender(words[1]) is None)}
    firsts = [name for name in names if len(name.split()) == 1 and name.lower() not in TITLES and name not in titled]
    if not firsts or not titled:
        return {}
    either = "|".join(map(re.escape, firsts)), "|".join(map(re.escape, titled))
    pattern = re.compile(rf"\b(?=[A-Z])({either[0]})\s+({either[1]})\b")
    found: dict[str, str] = {}
    for (first, surname), _ in Counter(match.groups() for match in pattern.finditer(text)).most_common():
        found.setdefault(first, surname)
    return found


_HINT_PAIRINGS = 3  # `Henry Tilney` this often before `Mr. Tilney` is named as maybe Henry


def titled_forms(first: str, speakers: Iterable[str], text: str) -> dict[str, int]:
    """`Mr.` speakers who may be the man a first name is, with how often the book writes the full name: `Mr.
    Tilney` for `Henry` where it writes `Henry Tilney` at least _HINT_PAIRINGS times (never counted after a title:
    `Sir Walter Elliot` is no Walter Elliot). Not where it also writes `Mr. Frank Churchill` often (a quarter as
    often or more): it names him in full to tell him from another `Mr. Churchill`, his uncle. (A woman's `Miss`
    name is linked by `alias_table` where the book allows it; `Mrs.` is a married name.) Only a hint for the
    user: `Mr. Bertram` is Tom, but `Mr Musgrove` is Charles Musgrove's father."""
    if first_name_gender(first) == "f":
        return {}
    found = {}
    for speaker in speakers:
        words = speaker.split()
        if len(words) != 2 or words[0] not in ("Mr.", "Mr"):
            continue
        surname = re.escape(words[1])
        pattern = rf"(\b[A-Z][a-z]*\.?\s+)?\b{re.escape(first)}\s+{surname}\b"
        matches = [m.group(1).strip().rstrip(".").lower() if m.group(1) else "" for m in re.finditer(pattern, text)]
        count = sum(1 for before in matches if before not in TITLES)
        titled = sum(1 for before in matches if before in ("mr", "mister"))
        if count >= _HINT_PAIRINGS and 4 * titled < count:
            found[speaker] = count
    return found
