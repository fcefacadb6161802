"""The named speakers of a book: their other names, their gender, and where the narration names them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from botsmith.extract.dialogue.aliases import family_names, names_and_sisters
from botsmith.extract.dialogue.attribution import TITLED_NAME, Cue, first_name_gender, title_gender

# `Miss Bennet` is not Mr. Bennet, whom a bare `Bennet` means: a title before a surname the cast knows alone
_TITLE_BEFORE = re.compile(r"\b(?:Miss|Mrs|Mr|Sir|Lady|Dr|Misses)\.?\s+\Z")
_PRONOUN_AFTER = re.compile(r"\b(he|himself|she|herself)\b")  # not him/her: often someone else
_HIS_AFTER = re.compile(r"\bhis\b")  # weaker: `Elinor looked surprised at his emotion; ... she said`
SENTENCE_END = re.compile(r"[.!?]\s")


@dataclass
class Cast:
    """The named speakers of a book with the gender the text gives them."""

    genders: dict[str, str | None] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None
    protagonist: str | None = None  # the most often tagged speaker
    tag_counts: Counter = field(default_factory=Counter)  # how often each name is a speech tag
    family: dict[str, str] = field(default_factory=dict)  # first name -> surname (Emma -> Woodhouse)
    sisters: dict[str, list[str]] = field(default_factory=dict)  # Miss Bennet -> Elizabeth, Jane, Lydia
    # surnames two men of the cast hold (`Mr Elliot` the heir and `Sir Walter Elliot`): no one father of the family
    shared_surnames: set[str] = field(default_factory=set)
    _aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_cues(cls, text: str, cues: list[Cue]) -> Cast:
        names = Counter(cue.value for cue in cues if cue.kind == "name")
        titled = Counter(" ".join(m.group().split()) for m in TITLED_NAME.finditer(text))
        names.update({name: count for name, count in titled.items() if count >= 2})  # Mr. Bennet, untagged
        cast = cls()
        votes: dict[str, Counter] = defaultdict(Counter)
        for cue in cues:
            if cue.kind == "name" and cue.gender:
                votes[cue.value][cue.gender] += 5
        for name in titled:
            if title_gender(name):
                votes[name][title_gender(name)] += 5
        for name in names:
            if first_name_gender(name):
                votes[name][first_name_gender(name)] += 4  # as strong as two clear he/she after the name
        tagged = Counter(cue.value for cue in cues if cue.kind == "name")
        cast._aliases, cast.sisters = names_and_sisters(names, tagged, text)
        cast.tag_counts = tagged
        cast.family = family_names(names, text)
        every_name = set(names) | set(cast._aliases)
        if every_name:
            alternation = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(every_name, key=len, reverse=True))
            # the lookahead lets the engine skip every position that cannot start a name
            cast.pattern = re.compile(r"\b(?=[A-Z])(?:" + alternation + r")\b")
            _vote_pronouns(text, cast.pattern, votes)
        cast.protagonist = cast.canonical(tagged.most_common(1)[0][0]) if tagged else None
        for name in every_name:
            counter = votes.get(name)
            cast.genders[name] = counter.most_common(1)[0][0] if counter else None
        for name in every_name:
            if _plural(name, every_name):
                cast.genders[name] = "group"  # `the Miss Bertrams` are never the `she` of a tag
        cast.shared_surnames = _shared_surnames(cast, names)
        return cast

    def surname(self, name: str | None) -> str | None:
        """`Mr. Bennet` -> Bennet; `Emma` -> Woodhouse when the book calls her Emma Woodhouse."""
        parts = (name or "").split()
        if len(parts) >= 2 and parts[0] in ("Mr.", "Mrs.", "Mr", "Mrs", "Miss"):
            if self.genders.get(name) == "group":
                return None  # `the Miss Dashwoods` are sisters, not a Mr. and Mrs. Dashwoods
            return parts[-1]
        return self.family.get(parts[0]) if len(parts) == 1 else None

    def titled(self, title: str, surname: str) -> str | None:
        """The cast's `Mrs. ... Dashwood`: a tagged speaker first (`Mrs. John Dashwood` over the `Mrs.
        Dashwood` only mentioned), then the plain `Mrs. Dashwood`."""
        titles = (title, title.rstrip("."))
        found = [name for name in self.genders if name.split()[0] in titles and name.split()[-1] == surname]
        found.sort(key=lambda name: (-self.tag_counts.get(name, 0), len(name.split())))
        return found[0] if found else None

    def sisters_called(self, name: str) -> list[str]:
        """The women a `Miss Bennet` the cast could not link to one of them may mean (`Cast.sisters`), where
        two or more of them are women; else none."""
        women = {self.canonical(first) for first in self.sisters.get(name, ()) if self.gender(first) == "f"}
        return sorted(women) if len(women) >= 2 else []

    def speaks(self, name: str) -> bool:
        """A name some tag gives to a speaker (`Sir Charles Grandison!` is a book, not a vocative)."""
        return name in self.genders and any(self.canonical(tag) == name for tag in self.tag_counts)

    def canonical(self, name: str) -> str:
        for _ in range(3):  # `Miss Lizzy` -> `Lizzy` -> `Elizabeth`
            name = self._aliases.get(name, name)
        return name

    def other_names(self) -> dict[str, list[str]]:
        """Each character's other names (aliases, pet names, full names), under the name they speak as."""
        names: dict[str, list[str]] = {}
        for alias in sorted(self._aliases):
            names.setdefault(self.canonical(alias), []).append(alias)
        return names

    def gender(self, name: str) -> str | None:
        return self.genders.get(self.canonical(name)) or self.genders.get(name)

    def mentions(self, narration: str) -> list[str]:
        """Cast names in a piece of narration, in order."""
        return self.mentions_both_ways(narration)[0]

    def subjects_last(self, narration: str) -> list[str]:
        """Cast names in the narration, those that begin a sentence or clause moved to the end
        (resolution reads the list backwards): `Mr. Bennet was among the earliest of those who
        waited on Mr. Bingley. ... he suddenly addressed her` means Mr. Bennet."""
        return self.mentions_both_ways(narration)[1]

    def mentions_both_ways(self, narration: str) -> tuple[list[str], list[str]]:
        """(cast names in text order, the same with subjects last and the people spoken to first), from one pass
        over the narration."""
        if self.pattern is None:
            return [], []
        in_order, addressees, objects, subjects = [], [], [], []
        previous_end = -1
        for match in self.pattern.finditer(narration):
            start, end = match.span()
            follows_name, previous_end = previous_end >= 0 and not narration[previous_end:start].strip(), end
            if narration[end:end + 2] in ("’s", "'s"):
                continue  # Alice's shoulder is not Alice
            if follows_name and " " not in match.group():
                continue  # `Anne Elliot` where the cast knows `Anne` and `Elliot`: her surname, not Mr Elliot
            if " " not in match.group() and _TITLE_BEFORE.search(narration, max(0, start - 8), start):
                continue
            name = self.canonical(" ".join(match.group().split()))
            before = narration[max(0, start - 6):start].rstrip()
            in_order.append(name)
            spoken_to = before.endswith((" to", " To")) or before in ("to", "To")  # `he said to Elizabeth,--`
            (subjects if opens_clause(narration, start) else addressees if spoken_to else objects).append(name)
        return in_order, addressees + objects + subjects


def opens_clause(narration: str, start: int) -> bool:
    """Whether the words at `start` open a sentence or a clause (`...; and Mr. Darcy`, `and, after a moment's pause,
    Mrs. Elton chose another subject`): its subject, most likely."""
    before = narration[max(0, start - 6):start].rstrip()
    if not before or before[-1] in ".;:!?" or before.endswith((" and", " but")):
        return True
    # after a phrase that sets the time or manner and opens its clause: `and, after a moment's pause,`
    return before[-1] == "," and _OPENING_PHRASE.search(narration, max(0, start - 60), start) is not None


_OPENING_PHRASE = re.compile(r"(?:^|[.;:!?]\s*|\b(?:and|but),?\s+)(?:after|at|in|on|upon|with|without|then|presently|"
                             r"soon|however|at\s+length|at\s+last)\b[^,.;:!?\"“”]{0,40},\s*\Z", re.IGNORECASE)


def _shared_surnames(cast: Cast, names: Counter[str]) -> set[str]:
    """Surnames that two different men of the cast hold under a title (`Mr Elliot`, `Sir Walter Elliot`)."""
    holders: dict[str, set[str]] = defaultdict(set)
    for name in names:
        words = name.split()
        if len(words) >= 2 and title_gender(name) == "m" and cast.gender(name) != "group":
            holders[words[-1]].add(cast.canonical(name))
    return {surname for surname, men in holders.items() if len(men) >= 2}


def _plural(name: str, names: set[str]) -> bool:
    """`Miss Dashwoods` beside `Miss Dashwood`, `Misses Bertram`: several people under one name."""
    parts = name.split()
    if len(parts) >= 2 and parts[0] in ("Misses", "Messrs.", "Messrs"):
        return True
    return len(parts) >= 2 and parts[-1].endswith("s") and " ".join([*parts[:-1], parts[-1][:-1]]) in names


def _vote_pronouns(text: str, pattern: re.Pattern[str], votes: dict[str, Counter]) -> None:
    """The first he/she after a name, before the sentence ends or another name, votes for its gender
    (failing that, a `his`, with half the weight)."""
    matches = list(pattern.finditer(text))
    for n, match in enumerate(matches):
        limit = min(match.end() + 90, matches[n + 1].start() if n + 1 < len(matches) else len(text))
        window = text[match.end():limit]
        stop = SENTENCE_END.search(window)
        end = stop.start() if stop else len(window)
        pronoun = _PRONOUN_AFTER.search(window, 0, end)
        if pronoun:
            gender = "f" if pronoun.group(1) in ("she", "herself") else "m"
            votes[" ".join(match.group().split())][gender] += 2
        elif _HIS_AFTER.search(window, 0, end):
            votes[" ".join(match.group().split())]["m"] += 1
