"""Speaker cues in the narration around a quotation: `said Elizabeth`, `the Mouse replied`, `said he`.

A cue names a character (`Mrs. Bennet`), a pronoun with its gender (`she`), or a noun
phrase (`his wife`, `the poor child`) whose gender the noun tells. Resolving pronouns and
noun phrases to characters is `speakers.py`'s job; this module only reads the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from botsmith.extract.dialogue.given_names import FIRST_NAME_GENDER

SPEECH_VERBS = (
    "said says cried cries replied replies asked asks answered answers returned returns continued observed "
    "added exclaimed whispered muttered murmured shouted called began begins thought interrupted interposed "
    "rejoined resumed sighed screamed shrieked growled grumbled pleaded insisted explained declared demanded "
    "inquired enquired retorted urged persisted responded concluded protested suggested sobbed roared yelled "
    "laughed argued admitted agreed ventured faltered stammered gasped panted sang chorused snapped drawled "
    "mused reflected spoke proceeded pursued hissed groaned moaned wailed bawled squeaked cooed corrected "
    "conceded confessed announced assented objected warned wondered echoed commented remonstrated "
    "recommenced cried repeated remarked addressed accosted beginning saying asking crying say").split()
_PHRASAL = r"(?:went\s+on|goes\s+on|broke\s+in|put\s+in|struck\s+in|chimed\s+in|called\s+out|cried\s+out)"
VERB = r"(?:" + _PHRASAL + r"|" + "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True)) + r")"
TITLES = {
    "mr": "m", "mr.": "m", "sir": "m", "lord": "m", "dr.": None, "dr": None, "colonel": "m", "col.": "m",
    "captain": "m", "capt.": "m", "major": "m", "general": "m", "lieutenant": "m", "king": "m", "prince": "m",
    "duke": "m", "count": "m", "monsieur": "m", "m.": "m", "uncle": "m", "father": "m", "brother": "m",
    "master": "m", "mister": "m", "professor": None, "reverend": "m", "rev.": "m", "herr": "m", "señor": "m",
    "mrs": "f", "mrs.": "f", "miss": "f", "ms.": "f", "lady": "f", "madame": "f", "mme.": "f", "madam": "f",
    "mademoiselle": "f", "aunt": "f", "mother": "f", "sister": "f", "queen": "f", "princess": "f",
    "duchess": "f", "countess": "f", "mistress": "f", "frau": "f", "señora": "f", "dame": "f",
}
_TITLE = r"(?:(?:" + "|".join(re.escape(t[0].upper() + t[1:]) for t in TITLES) + r")\s+)"
_CAP = r"[A-Z](?:\w|-(?=\w)|[’'](?!s\b)(?=\w))*"  # O'Brien, Fish-Footman; not Darcy's, nor `Edward--`
_NAME = (r"(?:the\s+)?" + _TITLE + r"?" + _CAP + r"(?:\s+(?:de\s+|van\s+|von\s+|of\s+)?" + _CAP + r"){0,2}")
_NP = (r"(?<!\bin\s)(?<!\bwith\s)(?<!\bof\s)(?<!\bto\s)(?<!\bat\s)(?<!\bby\s)(?<!\bfor\s)(?<!\bon\s)"
       r"(?:the|his|her|their|my|our|your|a|an|His|Her|Their)\s+[a-z]+(?:\s+[a-z]+){0,2}")  # not `in a low voice said`
_PRONOUN = r"(?:he|she|I|they|it|we)"
_ONE_OF = r"one\s+of\s+(?:the|his|her|their|them)(?:\s+[a-z]+)?"  # `whispered one of the girls`
_SUBJECT = rf"(?P<subject>{_ONE_OF}|{_PRONOUN}\b|{_NAME}|{_NP})"
_ADVERBS = (r"(?:\s+(?:[a-z]+ly|thus|then|again|now|still|both|all|together|at\s+last|at\s+once|presently|"
            r"soon|afterwards|at\s+length|was|were|had|has|is))")  # `they both cried`, `Alice was beginning`
_LEAD = r"[\s,;:—–\-_*]*"
_VERB_FIRST = re.compile(_LEAD + r"(?:[a-z]+ly\s+)?" + VERB + r"\b" + _ADVERBS + r"{0,2}\s+" + _SUBJECT)
_SUBJECT_FIRST = re.compile(_LEAD + r"(?:(?:[Aa]nd|[Bb]ut|[Tt]hen|[Ss]o)\s+)?" + _SUBJECT + r"(?:\s*,[^,.!?]{1,40},)?" + _ADVERBS + r"{0,3}\s+" + VERB + r"\b")
_BEFORE = re.compile(_SUBJECT + r"(?:\s*,[^,.!?]{1,40},)?" + _ADVERBS + r"{0,3}\s+" + VERB
                     + r"\b(?:[\s,]+[a-z]+){0,8}[\s,:;.—–\-_*]*\Z")
_BEFORE_VERB_FIRST = re.compile(VERB + r"\s+" + _SUBJECT + r"(?:\s+[a-z]+){0,4}[\s,:;—–\-_*]*\Z")
_SPEECH_NOUN = (r"(?:reply|rejoinder|answer|remark|inquiry|enquiry|exclamation|words|question|response|retort|"
                r"observation|cry|comment|speech|greeting|amendment|correction|objection|explanation|suggestion|"
                r"proposal|assurance|protest|interruption)")
# `"Indeed," was Mr Shepherd's rejoinder`, `were Colonel Fitzwilliam's words`
_POSSESSIVE_AFTER = re.compile(_LEAD + r"(?:was|were)\s+(?P<subject>" + _NAME + r"|(?:his|her|their)\s+[a-z]+)['’]s"
                               r"(?:\s+(?:[a-z]+\s+){0,3}?" + _SPEECH_NOUN + r"\b|(?=[;,.]))")
# `but Sir Walter's remark was, soon afterwards--` before the speech
_POSSESSIVE_BEFORE = re.compile(r"(?P<subject>" + _NAME + r"|(?:his|her|their)\s+[a-z]+)['’]s\s+(?:[a-z]+\s+){0,3}?"
                                + _SPEECH_NOUN + r"\s+(?:was|were)\b[^.!?;\"“”]{0,40}\Z")
# `when her friend prevented her, by saying,`, `she revived it by turning round, and saying,`, `Miss
# Crawford had only time to say,`: a clause's subject, then a participle or an infinitive of speech
_BEFORE_SAYING = re.compile(r"(?:^|[,;:]\s*|\b(?:when|and|then|while|as)\s+)" + _SUBJECT + r"(?:\s+[a-z]+){1,10}?,?\s+"
                            r"(?:(?:and\s+)?(?:by\s+)?(?:saying|asking|crying|adding|exclaiming|replying|whispering|"
                            r"observing)|to\s+(?:say|ask|add|reply|whisper|observe|remark))\b[^.!?\"“”]{0,40}\Z")
TITLED_NAME = re.compile(r"\b(?=[A-Z])" + _TITLE + _CAP + r"(?:\s+" + _CAP + r")?")
SPEECH_VERB = re.compile(r"\b" + VERB + r"\b")  # a verb of speaking anywhere
_SENTENCE_SUBJECT = re.compile(r"(?:^|[.!?]\s+)" + _SUBJECT)

_NOT_NAMES = frozenset(
    "The A An And But So Then Now Here There This That These Those What When Where Why How Who Yes No Oh O "
    "Well It He She They We You If As At In On Of For With Presently However Indeed Alas After Before While "
    "Still Just Only Perhaps Even Once Soon Again Nor Or Not Do Did Is Was Had Has Have Be Being To By From "
    "Ah Aye Nay Dear Pray Sure Very Upon Into Out Up Down Off Over Thus Hence Whereupon Meanwhile Instead "
    "Though Although Because Since Until Unless Whether Every Each All Both Some Any Many Much More Most "
    "Such Our My Your His Her Their Its Whose Which Chapter CHAPTER Page Next Last First".split())
_FUNCTION_WORDS = frozenset(
    "in to with at as and but for of on by from into upon very rather quite again once after before while "
    "that who which when then so not only just still too, a an the his her".split())
_TAG_TAIL = frozenset("to him her herself himself themselves them me aloud again softly at last once".split())
_PEOPLE = frozenset(
    "child person stranger visitor guest officer soldier doctor clerk driver captain creature friend companion "
    "cousin neighbour neighbor host servant landlord landlady stranger speaker prisoner gardener cook baby "
    "animal bird gentlewoman partner lover guard sailor man woman".split())
_GROUPS = frozenset("voices others all party chorus girls boys ladies gentlemen children people crowd".split())
FEMALE_NOUNS = frozenset(
    "girl lady woman mother wife sister daughter aunt queen maid duchess niece widow mistress bride "
    "grandmother princess hostess governess housekeeper nurse matron".split())
MALE_NOUNS = frozenset(
    "man gentleman boy father husband brother uncle king son fellow nephew lord duke prince master "
    "grandfather knight squire servant butler footman youth".split())
_PRONOUN_GENDER = {"he": "m", "she": "f", "i": "narrator", "we": "group", "they": "group", "it": "n"}


@dataclass(frozen=True)
class Cue:
    kind: str  # "name", "pronoun" or "np"
    value: str  # the name, pronoun or noun phrase, whitespace collapsed
    gender: str | None  # "m", "f", "n", "narrator", "group" or None when unknown
    goes_on: bool = field(default=False, compare=False)  # `she added`, `he went on`: the speaker carries on


def cue_after(narration: str) -> Cue | None:
    """A tag right after a closing quote: `said Alice`, `the Mouse replied`, `returned she`."""
    found = match_tag(narration)
    return found[0] if found else None


def match_tag(narration: str) -> tuple[Cue, int] | None:
    """The tag at the start of `narration` and where its words end."""
    head = narration[:160]
    for pattern in (_VERB_FIRST, _SUBJECT_FIRST, _POSSESSIVE_AFTER):
        match = pattern.match(head)
        if match:
            cue = _cue(match.group("subject"))
            if cue is not None and cue.kind == "name" and (pair := _AND_ANOTHER.match(head, match.end())):
                return Cue("np", f"{cue.value}{pair.group()}", "group"), pair.end()  # two people at once: nobody
            if cue is not None:
                return _with_verb(cue, match.group()), match.end()
    return None


_AND_ANOTHER = re.compile(r"\s+and\s+(?:the\s+)?" + _TITLE + "?" + _CAP)  # `said Catherine and Lydia`


def is_bare_tag(clause: str) -> bool:
    """`said he`, `Alice replied quietly`: a tag and nothing else (not `I said nothing`)."""
    found = match_tag(clause)
    if found is None:
        return False
    rest = clause[found[1]:].split()
    return len(rest) <= 3 and all(w.endswith("ly") or w in _TAG_TAIL for w in rest)


def cue_before(narration: str) -> Cue | None:
    """A tag that introduces the next quotation: `the Dodo suddenly called out`, `So she began:`."""
    tail = narration[-160:]
    possessive = _POSSESSIVE_BEFORE.search(tail)
    if possessive and _cue(possessive.group("subject")) is not None:
        return _cue(possessive.group("subject"))
    last_verb = None
    for last_verb in SPEECH_VERB.finditer(tail):
        pass
    if last_verb is None or len(tail) - last_verb.end() > 60:
        return None  # no speech verb near the end: skip the expensive patterns
    tail = tail[max(0, last_verb.start() - 90):]
    for pattern in (_BEFORE, _BEFORE_VERB_FIRST, _BEFORE_SAYING):
        pos = 0
        for _ in range(4):  # `her cheeks and she said`: the first subject found may not be a person
            match = pattern.search(tail, pos)
            if match is None:
                break
            cue = _cue(match.group("subject"))
            if cue is not None:
                return _with_verb(cue, match.group())
            pos = match.start() + 1
    return _saying_cue(narration[-300:])


# `he started, and could only say,`, `the Admiral, fearing ..., took up the subject again, to say--`, `after calmly and
# politely saying,`, `which began with Mary's saying, in a tone of great exultation--`, `electrified by Mrs Croft's
# suddenly saying,--`
_SAY_AT_END = re.compile(r"\b(?:say|saying)\b(?:,[^,.!?;:\"“”]{0,40})?\s*(?::|,)?\s*(?:--|—|–)?\s*\Z")
_VERB_AT_END = re.compile(r"\b" + VERB + r"\s*[,:]\s*(?:--|—|–)?\s*\Z")  # `and, unable to resist the temptation, added,`
_NAME_AT_END = re.compile(_TITLE + r"?" + _CAP + r"(?:\s+" + _CAP + r")?\Z")
_SAYING_OF = re.compile(r"(?P<subject>" + _NAME + r")['’]s\s+(?:[a-z]+ly\s+)?saying\b")  # `Mrs Croft's suddenly saying`
_CLAUSE_START_SUBJECT = re.compile(r"(?:^|[,;:]\s+|--|\b(?:and|but|then|when|while|as)\s+)(?P<subject>he|she|they|I|"
                                   r"(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+[a-z][\w-]*(?:,?\s+[a-z][\w-]*){0,2}(?:\s+"
                                   + _NAME + r")?|" + _NAME + r")(?=[\s,])")


def speaking_subject(narration: str) -> Cue | None:
    """Who says the words a lead-in ends on a verb of speaking with, when no tag pattern reaches its subject (`but
    Mr. Collins, much offended, laid aside his book, and said,--`): as `_saying_cue` finds it, and only a name. A he
    or she is left to the lead-in's other rules, which weigh the exchange: the name nearest before it is as often
    the one spoken to (`hearing her brother mentioning a ball to Miss Bennet, she turned ... and said,--`)."""
    cue = _saying_cue(narration[-300:], _VERB_AT_END)
    return cue if cue is not None and cue.kind == "name" else None


def _saying_cue(narration: str, verb: re.Pattern[str] = _SAY_AT_END) -> Cue | None:
    """Who says the words a sentence ends on `say` or `saying` (or another `verb`) with: its possessive (`Mary's
    saying`), else the last subject that opens one of its clauses before the verb (not `alone with Anne Elliot`,
    an object), when that one is surely a person (`the former continued the subject by saying,` is nobody it can
    name)."""
    end = verb.search(narration)
    if end is None:
        return None
    sentence = last_sentence(narration[:end.start()])
    possessive = _SAYING_OF.search(narration, max(0, end.start() - 50))
    found = [possessive.group("subject")] if possessive is not None else [
        match.group("subject") for match in _CLAUSE_START_SUBJECT.finditer(sentence)]
    if not found:
        return None
    raw = found[-1]
    named = _NAME_AT_END.search(raw)
    if named is not None and raw.split()[0].lower() in ("the", "his", "her", "their") and len(raw.split()) > 2:
        raw = named.group()  # `The kind-hearted, gentle Mrs. Weston` is Mrs. Weston
    cue = _cue(raw)
    return cue if cue is not None and (cue.gender in ("m", "f") or _a_person(raw, cue)) else None


def _a_person(raw: str, cue: Cue) -> bool:
    """A name this loose a pattern may give only when it is surely someone's: titled, a known first name, or `the
    Admiral` (the cast is made of such cues, and `Hartfield` opening a clause is a house)."""
    return cue.kind == "name" and (names_someone(cue.value) or raw.startswith("the "))


_GOES_ON = re.compile(r"\b(?:added|adds|adding|continued|continues|went\s+on|goes\s+on|resumed|pursued|proceeded)\b")


def _with_verb(cue: Cue, tag: str) -> Cue:
    return replace(cue, goes_on=True) if _GOES_ON.search(tag) else cue


# A whole sentence of reported speech: `Anne said what was proper, and enquired after her husband.`, `She asked
# whether he had seen it.`, `Elizabeth could hardly help smiling, as she assured her that had not been the case.`,
# `Elizabeth replied very concisely that she was.`
# (its full stop hands nothing over, unlike `said,`)
_ASKING, _TELLING, _ANSWERING = "said|enquired|inquired|asked", "assured|told", "replied|answered"
_REPORTED_SPEECH = re.compile(
    r"^(?:[^,;:\"“‘]{0,60}?|[^,;:\"“‘]{0,60},\s+(?:as\s+(?:she|he)|and)\s+)"
    rf"\b(?:(?:{_ASKING})\s+(?:(?:her|him|them|me|us)\s+)?(?:what|after|about|whether|if|how|when|"
    rf"where|why)|(?:{_TELLING})\s+(?:her|him|them|me|us)\s+that|"
    rf"(?:{_ANSWERING})\s+(?:very\s+)?(?:[a-z]+ly\s+)?that)\b[^\"“‘]*[.!?]\s*\Z")
_REPORTING_VERB = re.compile(rf"\b(?:{_ASKING}|{_TELLING}|{_ANSWERING})\b")


def reports_speech(sentence: str) -> bool:
    """Whether a sentence gives someone's words in the narration's own (so the next speech answers them)."""
    return bool(_REPORTED_SPEECH.search(sentence.strip()))


def may_report_speech(narration: str) -> bool:
    """False where no sentence of the narration can report speech (it has none of the verbs): every narration
    paragraph is checked, and most need not be cut into sentences for it."""
    return bool(_REPORTING_VERB.search(narration))


def narration_subject(narration: str) -> Cue | None:
    """The first named subject of a sentence in the narration before a speech (a weak cue)."""
    for match in _SENTENCE_SUBJECT.finditer(narration[:400]):
        cue = _cue(match.group("subject"))
        if cue is not None and cue.kind == "name":
            return cue
    return None


_STARTS_SPEAKING = re.compile(r"\b(?:began|begins)\s+(?:to\s+)?(?:scold|speak|talk|say|ask|cry|sing|explain|"
                              r"tell|shout|whisper|call)|\b(?:addressed|accosted)\b")
_INTRODUCES = re.compile(r"(?::|,|;|\bwith)\s*(?:--|—|–)?\s*\Z|(?:--|—)\s*\Z")
_SENTENCE_BREAK = re.compile(r"(?<![A-Z])(?<!Mr)(?<!Mrs)(?<!Dr)(?<!St)(?<!Ms)(?<!Col)(?<!Capt)(?<!Rev)"
                             r"[.!?;][\"”’'_)]*\s+(?=[\"“‘'_(]*[A-Z])")  # not after Mr. or an initial
# `Mr. John Knightley looked as if ...`: a titled name whole, not `Mr. John` (an untitled one by its first word:
# `Jane Fairfax` speaks as Jane)
# `Her mother only scolded her`: a relative by kin, whom the tracker finds in the family
_CLAUSE_SUBJECT = re.compile(r"(?:^|[\s,;(])(?P<subject>he|she|I|they|(?:Her|His)\s+(?:mother|father|husband|wife)|"
                             + _TITLE + _CAP + r"(?:\s+" + _CAP + r")?|" + _CAP + r")(?=[\s,])")


def sentences(narration: str) -> list[str]:
    """The narration cut into sentences (`Mr. Darcy` stays whole)."""
    return [part for part in _SENTENCE_BREAK.split(narration) if part.strip()]


def last_sentence(narration: str) -> str:
    """The narration's last sentence ("" when it has none)."""
    return (sentences(narration) or [""])[-1]


def ends_on_speech_verb(narration: str) -> bool:
    """`...; and, unable to resist the temptation, added, `: the narration hands over with a verb of speaking."""
    return bool(_VERB_AT_END.search(narration[-60:]))


def introduces(narration: str) -> bool:
    """Narration that hands over to the next paragraph's speech: `...and said,--`, `with--`, `thus:`,
    or whose last sentence has someone start speaking (`...began scolding one of her daughters.`)."""
    if _INTRODUCES.search(narration[-40:]):
        return True
    last = sentences(narration[-300:])[-1:] or [""]
    return bool(_STARTS_SPEAKING.search(last[0]))


_SPOKEN_TO = re.compile(r"\bto\s+\Z")


_POSSESSIVE_NEXT = re.compile(r"(?:\s+[A-Z][\w-]*)?['’]s\b")


def last_sentence_subject(narration: str) -> Cue | None:
    """Who the narration's last sentence is about: its first name, else its first he/she/I (going on with what
    they said when the sentence ends on `added` or `continued`)."""
    last = sentences(narration[-400:])[-1:] or [""]
    # not someone spoken to (`he said to Elizabeth,--`)
    # not someone whose thing it is either (`her escape from Jane Fairfax's letter`)
    found_at = [(m.start("subject"), _cue(m.group("subject"))) for m in _CLAUSE_SUBJECT.finditer(last[0])
                if not _SPOKEN_TO.search(last[0], 0, m.start("subject"))
                and not _POSSESSIVE_NEXT.match(last[0], m.end("subject"))]
    cues = [cue for _, cue in found_at]
    names = [c for c in cues if c is not None and c.kind == "name"]
    pronouns = [c for c in cues if c is not None and c.kind == "pronoun" and c.gender in ("m", "f", "narrator")]
    # the he or she nearest before the verb of speaking (`he would have given it to Mr. Darcy, ... when she
    # instantly drew back, and said ... to Sir William,--` is she); only looked for where a pronoun decides
    verbs = list(SPEECH_VERB.finditer(last[0])) if not names and len(pronouns) > 1 else []
    if verbs:
        before = [c for at, c in found_at if c in pronouns and at < verbs[-1].start()]
        pronouns = before[-1:] or pronouns
    kin = [c for c in cues if c is not None and c.kind == "np"]  # `Her mother only scolded her.`
    found = (names or pronouns or kin or [None])[0]
    # `she shook it off, and soon added in a different tone--`: going on, as a tag's `she added` is
    return _with_verb(found, last[0][-50:]) if found is not None else None


def _cue(raw: str) -> Cue | None:
    words = raw.split()
    if words[:2] == ["one", "of"]:
        return Cue("np", " ".join(words), "group")  # one of several, nobody says which: unknown
    if len(words) > 1 and words[0] in ("His", "Her", "Their", "The", "A", "An") and words[1][0].islower():
        words[0] = words[0].lower()  # `Her father fondly replied` at the start of a sentence
    lowered = words[0].lower()
    if len(words) == 1 and lowered in _PRONOUN_GENDER:
        return Cue("pronoun", lowered if lowered != "i" else "I", _PRONOUN_GENDER[lowered])
    if words[0][0].islower() and not (lowered == "the" and len(words) > 1 and words[1][0].isupper()):
        return _noun_phrase(words)
    definite = lowered == "the"  # `the King` names someone; a bare `Sir` does not
    if definite:
        words = words[1:]
    while words and words[-1] in ("of", "de", "van", "von"):
        words.pop()
    if not words or words[0] in _NOT_NAMES or (len(words) == 1 and words[0].lower() in TITLES and not definite):
        return None
    if len(words) == 1 and words[0].endswith(("ing", "ly", "ed")) and not definite:
        return None  # `Recovering himself, he said`, `Suddenly`, `Surprised`
    name = " ".join(w.rstrip("’'").removesuffix("’s").removesuffix("'s") for w in words)
    return Cue("name", name, title_gender(name))


def _noun_phrase(words: list[str]) -> Cue | None:
    kept = [words[0]]
    for word in words[1:]:
        if word in _FUNCTION_WORDS or word.endswith(("ly", "ed")):  # `her father fondly replied`, `prevented`
            break
        kept.append(word)
    if len(kept) < 2:
        return None
    noun = kept[-1]
    if noun not in FEMALE_NOUNS and noun not in MALE_NOUNS and noun not in _PEOPLE and noun not in _GROUPS:
        return None  # `her cheeks`, `a low voice`: not someone who speaks
    gender = "f" if noun in FEMALE_NOUNS else "m" if noun in MALE_NOUNS else None
    if noun in _GROUPS:
        gender = "group"
    return Cue("np", " ".join(kept), gender)


def title_gender(name: str) -> str | None:
    first = name.split()[0].lower()
    return TITLES.get(first) if first in TITLES else TITLES.get(first.rstrip("."))


def first_name_gender(name: str) -> str | None:
    """`Edward` -> m, `Margaret Dashwood` -> f; None for names not on the list or under a title."""
    first = name.split()[0]
    return None if first.lower() in TITLES else FIRST_NAME_GENDER.get(first)


def names_someone(name: str) -> bool:
    """A name that is surely a person's whatever the book: titled (`Mrs. Grant`) or a known first name (`Mary`)."""
    return title_gender(name) is not None or first_name_gender(name) is not None
