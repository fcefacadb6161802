"""Who speaks each paragraph: explicit tags, pronouns resolved by gender, and alternation.

Speakers are tracked as entities. A named tag is its own entity; `she` or `his wife`
resolves to a character of that gender already in the scene (someone named in the
narration of this paragraph, then the other recent speakers, then the last speaker);
a paragraph with no tag is spoken by whoever spoke two turns ago in a running exchange
(or by the person the last speech addressed). Narration changes the exchange: two people
by themselves start a new one, someone who leaves drops out, someone who makes no answer
lets the last speaker go on. An entity nobody could name gets a private id, so that it
still counts as a different speaker from its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from botsmith.extract.dialogue.attribution import (Cue, last_sentence, may_report_speech, names_someone, reports_speech,
                                                   sentences)
from botsmith.extract.dialogue.cast import SENTENCE_END as _SENTENCE_END
from botsmith.extract.dialogue.cast import Cast, opens_clause

_FAMILY = {  # relation: (gender of the person it is relative to, or None for any; title of the speaker)
    "wife": ("m", "Mrs."), "lady": ("m", "Mrs."), "husband": ("f", "Mr."),
    "mother": (None, "Mrs."), "father": (None, "Mr."),
}
_KIN = frozenset("aunt uncle sister brother mother father cousin niece nephew wife husband daughter son "
                 "friend companion grandmother grandfather".split())
# kin of the other sex than the her or his: the `he` after `her father` cannot be the woman the `her` means, while
# the `she` after `her mother` is as often the daughter (`...was delightful to her mother's ear. "I am," said she`)
_KIN_PHRASE = re.compile(r"\b(?:[Hh]er\s+(?:father|husband)|[Hh]is\s+(?:mother|wife))\b")
_OPENING_PRONOUN = re.compile(r"(He|She)\s")
_PRONOUN = {"f": re.compile(r"\b[Ss]he\b"), "m": re.compile(r"\b[Hh]e\b")}
_FRONTED_CLAUSE = re.compile(r"\W*(?:when|as|if|though|although|after|before|while|whilst|since|till|until|once)\b",
                             re.IGNORECASE)
_GOVERNED = re.compile(r"\b(?:by|to|in|with|for|from|of|at|on|upon|towards?|about|than|[a-z]+ed)\s+$")
_CLAUSE_BREAK = re.compile(r"[;:]|\b(?:[Hh]e|[Ss]he|I|they|we|you|who)\b")
_PRONOUN_REACH = 1500  # characters of a narration paragraph, from its end, that a tag's he or she looks back over
_PRONOUN_BEFORE = re.compile(r"\b([Hh]e|[Ss]he)\s+(?:\w+\s+)?$")  # `had he`, `she soon` right before a verb
_COMPANIONS = frozenset("friend companion partner sister brother cousin neighbour neighbor visitor guest".split())
_CONVERSATION_GAP = 1500  # characters of narration after which an exchange is over
# What narration says about the exchange, found in one pass (this runs on every paragraph): two people
# by themselves start a new one, someone leaves it, someone makes no answer
_NEW_CONVERSATION = (r"by\s+themselves|alone\s+together|left\s+alone|t[êe]te-[àa]-t[êe]te|"
                     r"the\s+(?:former|latter)\s+(?!of\b|was\b|is\b)[a-z]+")
# `Mrs. Elton left them no choice`, `left them in doubt`: something left to them, not a leave-taking
_LEFT_THEM_WHAT = r"(?:no|nothing|little|much|more|a|an|the|in|with|to|some|any|all|free|time|room|their|his|her)"
# `when Kitty left them she went boldly on`: a leave-taking over before the sentence goes on
_ONCE_GONE = re.compile(r"\b(?:[Ww]hen|[Aa]fter|as\s+soon\s+as|no\s+sooner\s+had)\b[^.;:!?]*$")
_LEAVES = (r"was\s+off|went\s+(?:out|away|home)|walked\s+(?:off|away|out)|left\s+the\s+(?:room|house)|"
           rf"(?P<left_them>left\s+them\b(?!\s+{_LEFT_THEM_WHAT}\b))|"
           r"took\s+(?:his|her)\s+leave|set\s+off|quitted\s+the\s+room|withdrew(?!\s+to\b)|departed")
_NO_ANSWER = (r"(?:made|gave|returned|attempted|make|making)\s+no\s+(?:answer|reply|rejoinder)|"
              r"had\s+nothing\s+to\s+say|said\s+nothing|(?:was|remained|kept)\s+silent|"
              r"did\s+not\s+(?:answer|reply)|no\s+inclination\s+of\s+replying|"
              r"(?:could|would)\s+not\s+(?:answer|reply)|too\s+much\s+\w+\s+to\s+(?:make\s+any\s+)?(?:reply|answer)|"
              # an answer without words: `Elizabeth tried to join in her father's pleasantry, but could only force one most
              # reluctant smile.`
              r"could\s+only\s+(?:force|smile|bow|curtsey|curtsy|nod|shake|blush|colour|color|sigh|look)|"
              # `Darcy shook his head in silent acquiescence.`
              r"in\s+silent\s+(?:acquiescence|assent|agreement|reproach|astonishment|amazement|contempt)")
# someone who follows a conversation between others (`was sufficiently amused in attending to what passed between Darcy
# and his companion`): the first speech after it is one of theirs, and which one the narration does not say
_OVERHEARD = (r"(?:attending|listen(?:ing|ed)?(?:\s+\w+){0,2})\s+to\s+(?:what|all\s+that)\s+(?:had\s+)?passed\s+between|"
              r"overh(?:ear|eard|earing)\s+(?:a|the|their)\s+conversation\s+between")
_EXCHANGE_EVENT = re.compile(rf"\b(?:(?P<new>{_NEW_CONVERSATION})|(?P<leaves>{_LEAVES})|(?P<quiet>{_NO_ANSWER})|"
                             rf"(?P<overheard>{_OVERHEARD}))\b")


def _told_ahead(event: re.Match[str], narration: str) -> bool:
    """`He attended them to the last, and left them only at the door`: a leave-taking the narration tells ahead of the
    talk that follows; only `when Kitty left them` (`after`, `as soon as`, `no sooner had`) is over before it."""
    return event.group("left_them") is not None and not _ONCE_GONE.search(
        narration, max(0, event.start() - 60), event.start())


@dataclass(frozen=True)
class Entity:
    key: str  # name, or "#<n>" for a speaker nobody named
    name: str | None  # what to print; None when unknown
    gender: str | None
    # the narration named them with a word that names nobody (`One morning, ... she said to Elizabeth,--`):
    # unknown, and left so; a name guessed from the turn-taking would put someone else's lines in a bot's dataset
    nameless: bool = False


class SpeakerTracker:
    """Walks a scene's speech paragraphs in order and decides each one's speaker."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self._anonymous = 0
        self._guessing = False  # the speaker being decided comes from alternation alone
        self._guessed = (False, False)  # whether it did (and the speech called nobody), for the last two speeches
        self._guesses = ("", "")  # "turns" when alternation did, "pronoun" when a he or she tag did, for the last two
        self._by_pronoun = False  # the speaker being decided comes from a he or she tag
        self.new_scene()

    def new_scene(self) -> None:
        self.turns: list[Entity] = []  # speaker of each speech paragraph of the current exchange
        self.mentions: list[Entity] = []  # people named in the narration, latest last
        self.addressed: list[str] = []  # names called in the last speech (vocatives)
        self.closing: list[str] = []  # those of them called at its very end (`..., Mr. Darcy!`)
        self.since_speech: list[Entity] = []  # people named in the narration since the last speech
        self.narration_since: list[str] = []  # the narration paragraphs since the last speech
        self.topics: dict[str, Entity] = {}  # gender -> whom the narration is about (its paragraphs' he/she)
        self.called: set[str] = set()  # names the paragraph being attributed calls: none of them is speaking
        self.talked_of: set[str] = set()  # names it speaks of (`put it into Lizzy's head`): nor is any of them
        self.last_said: set[str] = set()  # the names, as written, the speech paragraph before called or quoted
        self.silent: Entity | None = None  # who the narration since the last speech says made no answer
        self.polite: str | None = None  # the gender the last speech's `sir` or `madam` gives the one addressed
        self.gone: set[str] = set()  # who the narration says left, until a tag names them again
        self.stranger = False  # the last speech turned to someone unnamed (`turning to the waiter`)
        self.narrated: str | None = None  # the gender of a he or she the narration since the last speech ends on
        self.overheard = False  # the narration since the last speech has someone follow a conversation between others

    def narration(self, narration: str, length: int | None = None, *, around_speech: bool = False) -> None:
        """Narration: who is named in it; a long stretch ends the exchange.

        Names in the tags around a speech (`around_speech`) are remembered as mentions but
        not as the people just introduced for the next speech.
        """
        in_order, subjects_last = self.cast.mentions_both_ways(narration)
        self.mentions.extend(self._named(name) for name in in_order)
        if not around_speech:
            # subjects last, as resolution reads backwards: `Mr. Gardiner ... told her that he would
            # assist Mr. Bennet` then `added he` is Mr. Gardiner
            kin_objects, kin_subjects = self._kin_named(narration)
            self.since_speech.extend([*kin_objects, *(self._named(name) for name in subjects_last), *kin_subjects])
            self.narration_since.append(narration[-_PRONOUN_REACH:])
            self._follow_topic(narration)
            self.before_speech(narration)
            if may_report_speech(narration):
                self.reports_speech_in(sentences(narration))
            self._hand_over(narration)
            self.polite = None
        if (length if length is not None else len(narration)) > _CONVERSATION_GAP:
            self.turns = []
        del self.mentions[:-30]

    def _kin_named(self, narration: str) -> tuple[list[Entity], list[Entity]]:
        """The people narration names by kin (`she was met by her father`: Mr. Bennet, so that the `said he` after
        it is him, not the last man named), as (objects, sentence subjects), like the names of
        `Cast.mentions_both_ways`; not a possessive (`her father's incredulity`)."""
        objects: list[Entity] = []
        subjects: list[Entity] = []
        for match in _KIN_PHRASE.finditer(narration):
            if narration[match.end():match.end() + 2] in ("’s", "'s"):
                continue
            words = match.group().lower().split()
            entity = self._spouse(Cue("np", " ".join(words), "m" if words[1] in ("father", "husband") else "f"), ())
            # only someone the book tags: `But still he would be her husband.` (Charlotte's) is no Mr. Lucas
            if entity is None or not self.cast.speaks(entity.key) or entity in objects + subjects:
                continue
            (subjects if opens_clause(narration, match.start()) else objects).append(entity)
        return objects, subjects

    def _hand_over(self, narration: str) -> None:
        """A last sentence that opens on He or She and names nobody: the next untagged speech is that one's, of the
        exchange's two (`Elizabeth thanked him ... He immediately offered to fetch her others.`), or, when it says
        they made no answer, the other one's (`He was silent.`)."""
        self.narrated = None
        last = last_sentence(narration[-400:]).lstrip()  # the tail only: this runs on every paragraph
        opening = _OPENING_PRONOUN.match(last)
        if opening is None or self.cast.mentions(last):
            return
        gender = "m" if opening.group(1) == "He" else "f"
        event = _EXCHANGE_EVENT.search(last)
        if event is not None and event.lastgroup == "overheard":
            return  # `He listened to all that passed between them.`: the one who speaks next is not he
        if (event is not None and not _told_ahead(event, last)) or reports_speech(last):
            # `He was silent.`, and `He smiled, and assured her that whatever she wished him to say should be said.`:
            # his words are given, the speech after them answers him
            self.silent = self._participant_of(gender) or self._silent_listener(gender) or self.silent
        else:
            self.narrated = gender

    def _silent_listener(self, gender: str) -> Entity | None:
        """`He made no answer.` after the only speech so far: the one spoken to, the last person of that gender the
        narration named, when that is not the speaker (`...between Darcy and his companion.` / `"How delighted Miss
        Darcy will be to receive such a letter!"` / `He made no answer.`): the speaker goes on."""
        speakers = {entity.key for entity in self.turns}
        if len(speakers) != 1 or self.turns[-1].gender == gender:
            return None
        return next((e for e in reversed(self.mentions) if e.gender == gender and e.name is not None
                     and e.key not in speakers and self._may_speak(e)), None)

    def _follow_topic(self, paragraph: str) -> None:
        """A narration paragraph is about the first man and the first woman named in its first sentence;
        one that opens on `She` or `He` goes on about the same person (`More than once did Elizabeth ...
        meet Mr. Darcy.` then `She was engaged one day, ... in re-perusing Jane's last letter`)."""
        opening = paragraph.lstrip()[:4]
        found: dict[str, Entity] = {}
        for name in self.cast.mentions(_SENTENCE_END.split(paragraph, maxsplit=1)[0]):
            entity = self._named(name)
            if entity.gender in ("m", "f"):
                found.setdefault(entity.gender, entity)
        for gender, pronoun in (("f", "She "), ("m", "He ")):
            if gender in found and not opening.startswith(pronoun):
                self.topics[gender] = found[gender]

    def _made_no_answer(self, narration: str, quiet: re.Match[str]) -> Entity | None:
        """Who the narration says made no answer, when nobody is named after the words of silence
        (`Elizabeth made no answer ... Fitzwilliam asked her why`: she is asked again)."""
        if self.cast.pattern is None or self.cast.pattern.search(narration, quiet.end()):
            return None
        return self._subject_before(narration, quiet.start())

    def _subject_before(self, narration: str, end: int) -> Entity | None:
        """Whom the words at `end` are about: the name right before them (`in Elizabeth no inclination
        of replying`, `Mr. Woodhouse at last was off`), else their sentence's first name (`Edmund looked
        round at Mr. Rushworth too, but had nothing to say.`)."""
        if self.cast.pattern is None:
            return None
        sentence = last_sentence(narration[:end])
        found = list(self.cast.pattern.finditer(sentence))
        if not found:
            return None
        between = sentence[found[-1].end():]
        nearest = found[-1] if len(between.split()) <= 2 and not any(c in between for c in ",;:") else found[0]
        return self._named(self.cast.canonical(" ".join(nearest.group().split())))

    def _leaves(self, narration: str, end: int) -> None:
        """`Mr. Woodhouse at last was off`: whoever leaves is out of the exchange until a tag names them; `...
        while Sir William remained; but no sooner had he left them` is the last man named, not Mrs. Bennet."""
        pronoun = _PRONOUN_BEFORE.search(narration[max(0, end - 20):end])
        if pronoun is None:
            person = self._subject_before(narration, end)
        else:
            gender = "m" if pronoun.group(1).lower() == "he" else "f"
            sentence = last_sentence(narration[:end])
            named = [self._named(name) for name in self.cast.mentions(sentence)]
            person = next((e for e in reversed(named) if e.gender == gender), None)
        if person is not None:
            self.gone.add(person.key)
            self.turns = [e for e in self.turns if e.key != person.key]

    def before_speech(self, narration: str) -> None:
        """What narration since the last speech (a paragraph's own before its speech included) says about
        the exchange: `the two elder Miss Bennets were able to be for half an hour by themselves` starts a
        new one, `Mr. Woodhouse at last was off` leaves it, and `Then perceiving in Elizabeth no inclination
        of replying, she added,` is not Elizabeth."""
        for event in _EXCHANGE_EVENT.finditer(narration):
            if event.lastgroup == "new":
                self.turns = []
            elif event.lastgroup == "leaves":
                if not _told_ahead(event, narration):
                    self._leaves(narration, event.start())
            elif event.lastgroup == "overheard":
                self.overheard = True
            else:
                self.silent = self._made_no_answer(narration, event) or self.silent

    def reports_speech_in(self, narration_sentences: list[str]) -> bool:
        """Whether narration (its sentences) ends on someone's words in its own (`Anne said what was proper, and
        enquired after her husband.`, `Elizabeth replied very concisely that she was.`); if so the speech after
        it is the answer, so not theirs: the first person that sentence names is kept as `silent`."""
        last = narration_sentences[-1] if narration_sentences else ""
        names = self.cast.mentions(last) if reports_speech(last) else []
        if names:
            self.silent = self._named(self.cast.canonical(names[0]))
        return bool(names)

    def topic(self, gender: str | None) -> Entity | None:
        return self.topics.get(gender) if gender else None

    def speaker(self, cue: Cue | None, *, same_paragraph_names: list[str], continues: bool, weak: Cue | None,
                speech_names: tuple[str, ...] = (), recent_narration: bool = True, paragraph_narration: str = "") -> Entity:
        """The speaker of a paragraph's speech given its strongest cue (None: no tag at all).

        `same_paragraph_names` are the cast named in this paragraph's narration before the
        tag (`paragraph_narration`), `speech_names` those named inside its speech (`My dear Mr. Bennet`).
        """
        if cue is not None:
            return self._resolve(cue, same_paragraph_names, continues, speech_names, recent_narration,
                                 paragraph_narration)
        if continues and self.turns:
            return self.turns[-1]
        if weak is not None and (weak.gender == "group" or not self._person(weak)):
            return self._anonymous_entity(None, nameless=True)
        relative = self._spouse(weak, ()) if weak is not None and weak.kind == "np" else None
        if relative is not None:
            return relative  # `...when her father continued,--` is Mr. Bennet, not someone called "her father"
        if weak is not None and self.cast.canonical(weak.value) not in self.called:
            return self._named(self.cast.canonical(weak.value))  # unless the speech calls them by name
        self._guessing = True
        return self._alternate()

    def _person(self, cue: Cue) -> bool:
        """Whether the narration's subject can be the speaker: a name some tag gives, a titled name, a known first
        name. A sentence of narration may open on any capitalised word (`Dinner was on table.`, `Another song,
        however, was soon begged for.`, `One morning,`), or name a place or a poet (`Randalls`, `Cowper`)."""
        if cue.kind != "name":
            return True
        name = self.cast.canonical(cue.value)
        return self.cast.speaks(name) or names_someone(name)

    def spoke(self, entity: Entity, addressed: list[str], polite: str | None = None, *, stranger: bool = False,
              closing: Sequence[str] = ()) -> None:
        """Record a speech; whom it addressed is kept while the same speaker goes on talking.
        `polite`: the gender of a `sir` ("m") or `madam` ("f") the speech calls; `stranger`: it turned to someone
        the book never names (`turning to the waiter`), who answers it; `closing`: the names it ends by calling."""
        self.closing = [self.cast.canonical(n) for n in closing if self.cast.speaks(self.cast.canonical(n))]
        self.since_speech = []
        self.narration_since = []
        self.narrated = None
        self.stranger = stranger
        self.silent = None
        self.overheard = False
        self.gone.discard(entity.key)
        names = [self.cast.canonical(n) for n in addressed if self.cast.speaks(self.cast.canonical(n))]
        same_speaker = bool(self.turns) and self.turns[-1] == entity
        self.addressed = (self.addressed + names) if same_speaker else names
        self.polite = polite  # only the very next speech answers it (`Thank you, sir`, then he leaves)
        self.turns.append(entity)
        self.mentions.append(entity)
        self._guessed = (self._guessed[-1], self._guessing and not names)
        self._guesses = (self._guesses[-1], "turns" if self._guessing else "pronoun" if self._by_pronoun else "")
        self._guessing = self._by_pronoun = False

    def withdraw_guess(self, *, pronoun: bool = True) -> Entity | None:
        """The speech before the last one had its speaker from alternation alone or from a he or she tag, and the
        last one, in the next paragraph, is tagged with the same person's name (`"Does that young lady know Mr.
        Darcy?"` / `Elizabeth coloured, and said, "A little."`; `"He is just what a young man ought to be," said she`
        / `"He is also handsome," replied Elizabeth`): a new paragraph is a new speaker, so the guess was wrong. The
        earlier speech becomes unknown (a guessed speaker is worse than none); returns that unknown one.
        `pronoun=False`: keep a he or she tag's reading (the earlier speech was a thought or went on in narration,
        where one person may well speak twice: `"Who is this?" She said it to the Knave, who only bowed`)."""
        earlier, last = self._guesses
        withdrawable = ("turns", "pronoun") if pronoun else ("turns",)
        if len(self.turns) < 2 or last or earlier not in withdrawable or self.turns[-2] != self.turns[-1]:
            return None
        del self.turns[-2]  # an unknown speaker is no side of the exchange to alternate with
        return self._anonymous_entity(None, nameless=True)  # and not named later by alternation either

    def answered(self, called: list[str]) -> Entity | None:
        """The speech just recorded opens by calling someone (`"Nay, Edward," said Marianne`) right after a
        speech that called nobody and whose speaker only alternation gave: that speech was the one called,
        unless they spoke just before it. Returns the new speaker."""
        if len(self.turns) < 2 or not self._guessed[0]:
            return None
        names = [self.cast.canonical(n) for n in called]
        names = [n for n in names if self.cast.speaks(n) and n not in (e.key for e in self.turns[-3:])]
        if len(names) != 1:
            return None
        self.turns[-2] = self._named(names[0])
        return self.turns[-2]

    def vocative(self, name: str) -> str:
        """Whom a vocative means. The narration calls only the eldest daughter `Miss Bennet`, but the people in
        a scene say it to whichever sister is there (Lady Catherine at Rosings: `Do you play and sing, Miss
        Bennet?`, asked of Elizabeth): the sister named last, unless the narration's `Miss Bennet` came after."""
        candidates = {*self.cast.sisters_called(name), name}
        if len(candidates) == 1:
            return name
        return next((entity.key for entity in reversed(self.mentions) if entity.key in candidates), name)

    def nobody(self) -> Entity:
        """Words nobody says aloud (`a smile which seemed to say, "..."`): a speaker the turn-taking never names."""
        return self._anonymous_entity(None, nameless=True)

    def unknown(self) -> Entity:
        """A speaker nobody named here, whom the turn-taking around may name later."""
        return self._anonymous_entity(None)

    def _named(self, name: str) -> Entity:
        return Entity(name, name, self.cast.gender(name))

    def _anonymous_entity(self, gender: str | None, *, nameless: bool = False) -> Entity:
        self._anonymous += 1
        return Entity(f"#{self._anonymous}", None, gender, nameless)

    def _resolve(self, cue: Cue, same_paragraph_names: list[str], continues: bool,
                 speech_names: tuple[str, ...], recent_narration: bool = True, paragraph_narration: str = "") -> Entity:
        if cue.kind == "name":
            return self._named(self.cast.canonical(cue.value))
        if cue.gender == "narrator":
            return Entity("I", "I", None)
        if cue.goes_on and cue.kind == "pronoun":
            going_on = self._going_on(cue.gender, same_paragraph_names)
            if going_on is not None:
                return going_on
        relative = None
        if cue.kind == "np":
            relative = self._spouse(cue, speech_names) or self._companion(cue, same_paragraph_names)
        if relative is not None:
            return relative
        if cue.gender in (None, "group"):
            return self._anonymous_entity(cue.gender)
        self._by_pronoun = cue.kind == "pronoun"  # `said she`: whoever of her sex is nearest, a reading to check
        narrations = [*(self.narration_since if recent_narration else ()), paragraph_narration]
        others = self._others_than(cue.gender, " ".join(narrations)) if self._by_pronoun else set()
        return self._by_gender(cue.gender, same_paragraph_names, continues, recent_narration,
                               not_this=self._kin_of(cue), others=others)

    def _others_than(self, gender: str, narration: str) -> set[str]:
        """The people of `gender` the narration names only after a he or she of that gender in the same sentence:
        not whom that pronoun means (`she could not but allow that Mr. Bingley, when questioned by Jane, had ...`,
        `could she have included Jane in the scheme`), so not the he or she of the tag after it either, which goes
        on about the same person."""
        pronoun = _PRONOUN.get(gender)
        after: set[str] = set()
        before: set[str] = set()
        if pronoun is None:  # `it`, `they`
            return after
        for sentence in sentences(narration):
            if _FRONTED_CLAUSE.match(sentence):
                continue  # `When she came in, Jane ...`: the name may be whom the she means
            first = pronoun.search(sentence)
            for match in self.cast.pattern.finditer(sentence) if self.cast.pattern is not None else ():
                name = self.cast.canonical(" ".join(match.group().split()))
                if self.cast.gender(name) != gender:
                    continue
                # an object (`by Jane`, `included Jane`), not the subject of a clause of its own (`..., when
                # Marianne, perceiving that she had finished the letters, observed`), who may be the next he or she
                governed = _GOVERNED.search(sentence, 0, match.start()) is not None
                # in the pronoun's own clause: no other subject and no `;` between them (`saw how he was enjoying
                # himself ...; she was happy in having the two dances with Edmund` is not about the he)
                own_clause = first is not None and not _CLAUSE_BREAK.search(sentence, first.end(), match.start())
                (after if own_clause and first.start() < match.start() and governed else before).add(name)
        return after - before

    def _kin_of(self, cue: Cue) -> Entity | None:
        """`said her aunt` right after a woman spoke: she is the niece, not the aunt."""
        words = cue.value.split()
        previous = self.turns[-1] if self.turns else None
        if cue.kind != "np" or len(words) != 2 or words[0] not in ("his", "her") or words[1] not in _KIN:
            return None
        if previous is None or previous.gender != {"his": "m", "her": "f"}[words[0]]:
            return None
        return previous

    def _going_on(self, gender: str | None, same_paragraph_names: list[str]) -> Entity | None:
        """`she added`, `he went on`: the last speaker, unless the paragraph names someone else of that
        gender who may speak (`Catherine readily agreed. "Only," she added,`)."""
        previous = self.turns[-1] if self.turns else None
        if previous is None or previous.name is None or previous.gender not in (gender, None):
            return None
        named = [self._named(name) for name in same_paragraph_names]
        if any(e != previous and e.gender == gender and self._may_speak(e) for e in named):
            return None
        return previous if self._may_speak(previous) else None

    def _companion(self, cue: Cue, same_paragraph_names: list[str]) -> Entity | None:
        """`her friend prevented her, by saying,`: not the woman just named but the other participant."""
        words = cue.value.split()
        if len(words) != 2 or words[0] not in ("his", "her") or words[1] not in _COMPANIONS:
            return None
        owner_gender = "m" if words[0] == "his" else "f"
        named = [self._named(name) for name in same_paragraph_names]
        owner = next((e for e in reversed([*self.turns[-2:], *named]) if e.gender == owner_gender), None)
        if owner is None:
            return None
        others = [e for e in reversed(self.turns[-4:]) if e != owner and e.name is not None and self._may_speak(e)]
        fitting = [e for e in others if cue.gender in (None, e.gender)]
        return fitting[0] if fitting else None

    def _spouse(self, cue: Cue, speech_names: tuple[str, ...]) -> Entity | None:
        """Family words next to a named relative: `his wife` by Mr. Bennet is Mrs. Bennet, `her father`
        by Emma (Emma Woodhouse) is Mr. Woodhouse. The relative is a recent speaker or someone named."""
        words = cue.value.split()
        if len(words) != 2 or words[1] not in _FAMILY:
            return None
        relative_gender, title = _FAMILY[words[1]]
        relatives = [*reversed(self.turns[-4:]), *reversed(self.mentions), *(self._named(n) for n in speech_names)]
        owner = {"his": "m", "her": "f"}.get(words[0])
        genders = [relative_gender] if relative_gender else [owner, None]
        for gender in genders:  # `her father`: the father of a woman, else of the family just named
            for entity in relatives:
                surname = self.cast.surname(entity.name)
                if surname is None or gender not in (None, entity.gender):
                    continue
                if title == "Mr." and surname in self.cast.shared_surnames and len(entity.name.split()) == 1:
                    # a first name's family: `her father` of Anne Elliot is Sir Walter, not Mr Elliot the heir, and
                    # `her husband` of Mary (Elliot by birth) no Elliot at all; `Mrs. John Dashwood`'s is a Dashwood
                    continue
                candidate = self.cast.titled(title, surname)
                if candidate == entity.key and owner not in (None, entity.gender):
                    continue  # `her father` is not Mr. Bingley for being the man just named (`his father` may be)
                if candidate is not None:
                    return self._named(candidate)
                if relative_gender is not None:  # a wife nobody named yet; a parent must be in the cast
                    name = f"{title} {surname}"
                    return Entity(name, name, "f" if title == "Mrs." else "m")
        return None

    def _by_gender(self, gender: str, same_paragraph_names: list[str], continues: bool,
                   recent_narration: bool = True, not_this: Entity | None = None,
                   others: set[str] = frozenset()) -> Entity:
        """`said she`: someone of that gender named just before; else, in a running exchange, the
        other participant, then the speaker going on; else the last one of that gender named."""
        fits = (lambda e: e.gender in (None, "n")) if gender == "n" else (lambda e: e.gender == gender)
        nearby = [self._named(name) for name in same_paragraph_names]
        for entity in [*reversed(nearby), *(reversed(self.since_speech) if recent_narration else ())]:
            if entity.gender in (gender, None) and self._may_speak(entity) and entity != not_this:
                if entity.key in others:  # the one named is not the he or she, and the narration names nobody else
                    return self._anonymous_entity(gender)
                return entity  # `The Dormouse woke. 'No,' he said`
        previous = self.turns[-1] if self.turns else None
        other = None if continues else self._other_participant(recent=3)
        # whom the last speech ends by calling answers it before the exchange's other side (`What a delightful
        # library you have at Pemberley, Mr. Darcy!` then `he replied` is Darcy, though Bingley spoke before); a
        # name called earlier in it (`Kitty, ...`) only after
        # then an earlier speaker of the exchange whom the narration since the last speech names, before anyone it
        # merely mentions (`...heard by Darcy; ... towards Bingley and Jane. Recovering himself, he turned to his
        # partner` is Darcy, who spoke two turns ago)
        named_again = [e for e in reversed(self.turns[-4:]) if e in self.since_speech]
        candidates = [*(self._named(name) for name in self.closing), other,
                      *(self._named(name) for name in self.addressed), previous, *named_again,
                      *reversed(self.mentions)]
        for gender_known in (True, False):  # failing anyone of that gender, someone whose gender is unknown
            for entity in candidates:
                if (entity is None or (entity.name is None and entity is not previous) or not self._may_speak(entity)
                        or entity == not_this):
                    continue
                if fits(entity) if gender_known else (entity.gender is None and entity.name is not None):
                    return entity
        entity = self._anonymous_entity(gender)  # `she` with no woman in the scene: unknown, not a guess
        self.mentions.append(entity)
        return entity

    def _may_speak(self, entity: Entity) -> bool:
        """Nobody calls himself by name: `There can be no want of gallantry, Admiral,` is not the Admiral (nor speaks
        of himself by it: `put it into Lizzy's head` is not Lizzy's); nor is someone the narration just said made no
        answer, or left."""
        return (entity.key not in self.called and entity.key not in self.talked_of and entity != self.silent
                and entity.key not in self.gone)

    def _other_participant(self, recent: int | None = None) -> Entity | None:
        """The latest speaker of the running exchange who is not the one who spoke last
        (`recent`: only among the last few speeches; a long monologue has no other side)."""
        if not self.turns:
            return None
        previous = self.turns[-1]
        window = self.turns[-(recent + 1):] if recent else self.turns
        return next((e for e in reversed(window) if e != previous and self._may_speak(e)), None)

    def _participant_of(self, gender: str | None) -> Entity | None:
        """The one of the exchange's last two speakers who is of `gender`, when the other is not."""
        two: list[Entity] = []
        for entity in reversed(self.turns):
            if entity not in two:
                two.append(entity)
            if len(two) == 2:
                break
        fitting = [e for e in two if e.gender == gender and e.name is not None]
        if gender is None or len(two) < 2 or len(fitting) != 1 or not self._may_speak(fitting[0]):
            return None
        return fitting[0]

    def _alternate(self) -> Entity:
        """No tag: whoever was just addressed, the other side of a running exchange, someone the
        narration just named; the protagonist only when the scene names nobody else."""
        previous = self.turns[-1] if self.turns else None
        if self.stranger:
            return self._anonymous_entity(None, nameless=True)  # the waiter answers
        if self.silent is not None and previous not in (None, self.silent):
            self.addressed = [self.silent.key]  # the one who made no answer is answered by the next speech
            return previous  # `... but had nothing to say.` then more from the same speaker
        for name in self.addressed:  # `When is your next ball to be, Lizzy?` is answered by Lizzy
            if (previous is None or name != previous.key) and name not in self.called and name not in self.talked_of:
                return self._named(name)
        if self.polite is not None:  # `I am quite of your opinion, sir,` is answered by a man
            for entity in [*reversed(self.turns[-6:]), *reversed(self.mentions[-8:])]:
                if entity != previous and entity.gender == self.polite and entity.name and self._may_speak(entity):
                    return entity
        narrated = self._participant_of(self.narrated)
        if narrated is not None:
            return narrated  # the exchange's one man (or woman), whom the narration just before ends on
        other = self._other_participant()
        if other is not None:
            return other
        if self.overheard:  # one of those the narration has someone listen to, but which: a guess would name the listener
            return self._anonymous_entity(None)
        for entity in [*reversed(self.since_speech), *reversed(self.mentions[-8:])]:
            if entity != previous and entity.name is not None and self._may_speak(entity):
                return entity  # `Mr. Bennet made no answer.` then a reply
        # nobody in the scene to answer: naming the protagonist would be a guess, and a guessed
        # speaker is worse than an unknown one (a --character bot would learn someone else's line)
        return self._anonymous_entity(None)
