"""From quotations to speech turns: cues per quotation, a speaker per paragraph, runs merged.

A paragraph is normally one speaker; it is split only where two tags in it name
different people (`'Not I!' said the Lory. 'I thought you did,' said the Mouse.`).
Consecutive speech by one speaker inside a chapter is one turn, however much narration
falls between, because a turn ends only when someone else speaks.
"""

from __future__ import annotations

import re
from collections import defaultdict

from botsmith.extract.dialogue.attribution import (SPEECH_VERB, Cue, cue_after, cue_before, ends_on_speech_verb,
                                                   introduces, last_sentence, last_sentence_subject, narration_subject,
                                                   reports_speech, sentences, speaking_subject)
from botsmith.extract.dialogue.layout import Layout
from botsmith.extract.dialogue.scan import Quote
from botsmith.extract.dialogue.cast import Cast
from botsmith.extract.dialogue.speakers import Entity, SpeakerTracker
from botsmith.extract.turns import SpeechTurn, Utterance

_CONTEXT_CHARS = 300
_LEAD_IN_GAP = 300  # after this much narration the next speech starts an exchange: its narration says who
_OPENING = 40  # `Nay, Edward,`: a name called this near the start of a reply answers that person
_SHORT_TAG = 60  # characters of narration before a speech that are only its tag (`Elizabeth coloured, and said,`)
_FRESH_GAP = 600  # after this much, `he said` in it means someone it names, not a participant of the exchange


def build_turns(text: str, layout: Layout, quotes: list[Quote]) -> tuple[list[SpeechTurn], dict[str, list[str]]]:
    """(speech turns, each speaker's other names in the book: Elizabeth -> Eliza, Lizzy, Miss Elizabeth Bennet...)."""
    by_paragraph: dict[int, list[Quote]] = defaultdict(list)
    for quote in quotes:
        by_paragraph[quote.paragraph].append(quote)
    cues = {index: [_quote_cue(text, layout, qs, i) for i in range(len(qs))] for index, qs in by_paragraph.items()}
    cast = Cast.from_cues(text, [c for row in cues.values() for c in row if c is not None])
    tracker = SpeakerTracker(cast)
    turns: list[SpeechTurn] = []
    spoken: list[tuple[int, Entity]] = []  # (paragraph, speaker) of each paragraph spoken by one person
    scene, gap, context = -1, 0, ""
    private = False  # the last speech paragraph was a thought, words to oneself, or went on in narration
    for index, para in enumerate(layout.paragraphs):
        if para.scene != scene:
            tracker.new_scene()
            scene, gap = para.scene, 0
        qs = by_paragraph.get(index)
        body = text[para.start:para.end]
        if not qs:
            gap += len(body)
            tracker.narration(body, gap)
            context = body
            continue
        lead_in = context if (introduces(context) or gap >= _LEAD_IN_GAP) else ""
        groups = _speakers(text, para.start, qs, cues[index], tracker, lead_in, gap)
        if len(groups) == 1 and gap == 0 and spoken and spoken[-1][0] == index - 1:
            opening = _addressed(text, qs[:1], tracker, within=_OPENING)
            _answered(turns, spoken, tracker, opening, layout.paragraphs[index - 1].start)
            # only speeches that follow each other directly: at most a short tag before this one (`Elizabeth coloured,
            # and said,`), not a stretch of narration (`Catherine, in some amazement, complied, and ...`)
            lead = text[para.start:qs[0].open_mark].strip()
            first_cue = next((cue for cue in cues[index] if cue is not None), None)
            if (not qs[0].continues and groups[0][0] == spoken[-1][1] and len(lead) <= _SHORT_TAG
                    and not (first_cue is not None and first_cue.goes_on)):  # `added Elizabeth` goes on
                _withdraw_guess(turns, spoken, tracker, layout.paragraphs[index - 1].start, pronoun=not private)
        for n, (entity, group) in enumerate(_apart_from_asides(text, para.start, qs, cues[index], groups, tracker)):
            _add(turns, text, entity, group, layout.scenes[scene], context if n == 0 else "")
        if len(groups) == 1:
            spoken.append((index, groups[0][0]))
        tail = _after_last_quote(text, para.end, qs)
        # a thought, words to oneself, or narration after the speech: the same person may speak next
        private = _thought(text, qs) or bool(_TO_ONESELF.search(body)) or bool(tail.strip())
        tracker.narration(_narration_of(text, para.start, para.end, qs), 0, around_speech=True)
        # narration after the last quotation that introduces the next speech (`...said the Duchess. And with that
        # she began singing a lullaby:`)
        gap, context = 0, tail if introduces(tail) else ""
    return _name_by_alternation(turns, spoken), cast.other_names()


def _answered(turns: list[SpeechTurn], spoken: list[tuple[int, Entity]], tracker: SpeakerTracker,
              called: list[str], previous_start: int) -> None:
    """A speech that calls someone by name answers them: the paragraph just before, whose speaker only
    alternation gave, is theirs (`"She is only grown a little more grave."` / `"Nay, Edward," said Marianne`)."""
    last = turns[-1] if turns else None
    if last is None or last.utterances[0].start < previous_start or not called:
        return  # the turn began before the paragraph: it is not the paragraph's alone
    entity = tracker.answered(called)
    if entity is None:
        return
    last.speaker, last.extra["speaker_id"] = entity.name, entity.key
    spoken[-1] = (spoken[-1][0], entity)
    if len(turns) > 1 and turns[-2].scene == last.scene and turns[-2].extra["speaker_id"] == entity.key:
        turns[-2].utterances.extend(turns.pop().utterances)


def _after_last_quote(text: str, para_end: int, qs: list[Quote]) -> str:
    """The paragraph's narration after its last quotation (none when the quotation runs on)."""
    last = qs[-1]
    return text[last.close_mark + 1:para_end] if last.close_mark is not None else ""


# a sentence of narration ends and another begins (`in the air. This time`), not an abbreviation (`Mr. Darcy`)
_SENTENCE_BREAK = re.compile(r"(?<!\bMr)(?<!\bMrs)(?<!\bDr)(?<!\bSt)[.!?]\s+[A-Z]")
# `received a smile which seemed to say,`, `Captain Harville smiled, as much as to say,`: words nobody says aloud
_UNSPOKEN = re.compile(r"\b(?:(?:seemed|seems|seem|seeming)\s+to\s+say|as\s+(?:much\s+as|if)\s+to\s+say)"
                       r"\s*[,:]?\s*(?:--|—|–)?\s*\Z")
_HEARING = re.compile(r"\b(?:hear|heard|hearing|overheard|overhear|whispers|whispering)\b")
_TO_ONESELF = re.compile(r"\bto\s+(?:her|him|them)sel(?:f|ves)\b")


def _withdraw_guess(turns: list[SpeechTurn], spoken: list[tuple[int, Entity]], tracker: SpeakerTracker,
                    previous_start: int, *, pronoun: bool) -> None:
    """The paragraph just before was given to this paragraph's speaker by alternation alone (or by a `said she`,
    unless `pronoun` is False): unknown instead (`SpeakerTracker.withdraw_guess`), so that two people's lines
    are not joined into one turn."""
    last = turns[-1] if turns else None
    if last is None or last.utterances[0].start < previous_start:
        return  # the turn began before the paragraph: it is not the paragraph's alone
    entity = tracker.withdraw_guess(pronoun=pronoun)
    if entity is None:
        return
    last.speaker, last.extra["speaker_id"] = entity.name, entity.key
    spoken[-1] = (spoken[-1][0], entity)


def _name_by_alternation(turns: list[SpeechTurn], spoken: list[tuple[int, Entity]]) -> list[SpeechTurn]:
    """An unnamed speaker who alternates with one person, paragraph after paragraph, is whoever is
    named at the next place in that alternation (`"Have you, indeed!"` ... `"Oh, dear!" cried
    Catherine`): a chapter that opens on untagged lines learns who spoke them a little later."""
    named: dict[str, Entity] = {}
    tried: set[str] = set()
    for i in range(len(spoken) - 2):
        (first, unnamed), (_, other) = spoken[i], spoken[i + 1]
        if (unnamed.name is not None or unnamed.gender == "group" or unnamed.nameless or other.name is None
                or unnamed.key in tried):
            continue  # `they both cried` is no one person
        # from their first exchange only: the tail of a long one (`...` / `said her brother` / `said Darcy`) would
        # read a third person joining in as the next place in the alternation
        tried.add(unnamed.key)
        j = i + 2
        while j < len(spoken) and spoken[j][1] == unnamed and spoken[j - 1][1] == other:
            j += 2
        unbroken = all(spoken[k][0] == first + (k - i) for k in range(i, min(j + 1, len(spoken))))
        found = spoken[j][1] if j < len(spoken) and spoken[j - 1][1] == other else None
        if (unbroken and found is not None and found.name not in (None, other.name)
                and unnamed.gender in (None, found.gender)):
            named[unnamed.key] = found
    merged: list[SpeechTurn] = []
    for turn in turns:
        entity = named.get(turn.extra.get("speaker_id"))
        if entity is not None:
            turn.speaker, turn.extra["speaker_id"] = entity.name, entity.key
        last = merged[-1] if merged else None
        if last is not None and last.scene == turn.scene and last.extra["speaker_id"] == turn.extra["speaker_id"]:
            last.utterances.extend(turn.utterances)
        else:
            merged.append(turn)
    return merged


def _quote_cue(text: str, layout: Layout, qs: list[Quote], i: int) -> Cue | None:
    para = layout.paragraphs[qs[i].paragraph]
    quote = qs[i]
    if quote.close_mark is not None:
        after_end = qs[i + 1].open_mark if i + 1 < len(qs) else para.end
        cue = cue_after(text[quote.close_mark + 1:after_end])
        if cue is not None:
            return cue
    before_start = (qs[i - 1].close_mark or qs[i - 1].end) + 1 if i else para.start
    if before_start < quote.open_mark:
        before = text[before_start:quote.open_mark]
        if i == 0 and reports_speech(last_sentence(before)):
            return None  # the speech answers the words just reported: `_narration_speaker` says whose they were
        return cue_before(before)
    return None


def _speakers(text: str, para_start: int, qs: list[Quote], cues: list[Cue | None],
              tracker: SpeakerTracker, lead_in: str, gap: int) -> list[tuple[Entity, list[Quote]]]:
    """The paragraph's quotations grouped by speaker, in order."""
    if _UNSPOKEN.search(text[para_start:qs[0].open_mark]):
        # what a look or a smile seemed to say is nobody's speech, and no turn of the exchange
        rest = qs[0].close_mark + 1 if qs[0].close_mark is not None else qs[0].end
        later = _speakers(text, rest, qs[1:], cues[1:], tracker, "", 0) if len(qs) > 1 else []
        return [(tracker.nobody(), qs[:1]), *later]
    called = _addressed(text, qs, tracker)
    tracker.called = {tracker.cast.canonical(name) for name in called}
    tracker.talked_of = _talked_of(text, qs, tracker, called)
    tracker.before_speech(text[para_start:qs[0].open_mark])
    try:
        turned = _turned_to(text, qs, tracker)
        if not any(cues):
            entity = _untagged_speaker(text, para_start, qs, tracker, lead_in, gap)
            tracker.spoke(entity, turned + called, _polite_address(text, qs), stranger=turned == [_STRANGER],
                          closing=_addressed(text, qs[-1:], tracker, at_end=True))
            return [(entity, list(qs))]
        groups = _tagged_groups(text, para_start, qs, cues, tracker)
        last = groups[-1][1]
        # `"Well done, Mrs. Martin!" thought Emma.`: nobody hears a thought, so nobody it calls answers it
        thought = _thought(text, last)
        addressed = [] if thought else turned + _addressed(text, last, tracker)
        tracker.spoke(groups[-1][0], addressed, _polite_address(text, last), stranger=turned == [_STRANGER],
                      closing=[] if thought else _addressed(text, last[-1:], tracker, at_end=True))
        return groups
    finally:
        tracker.called = tracker.talked_of = set()


Groups = list[tuple[Entity, list[Quote]]]


def _apart_from_asides(text: str, para_start: int, qs: list[Quote], cues: list[Cue | None], groups: Groups,
                       tracker: SpeakerTracker) -> Groups:
    """The paragraph's groups, with a speech that goes on around a tagged aside in parentheses given to someone the
    aside does not name (`“You may not have lived much under the sea—” (“I haven’t,” said Alice)—“and perhaps
    you were never even introduced to a lobster—”` is the Mock Turtle's, and only `I haven’t` Alice's). Nothing
    in the paragraph names that speaker, so it is unknown. Only the turns change: the turn-taking still reads the
    paragraph as its tags do, so that a guess about the speech before it is tested as before."""
    asides = _asides(text, para_start, qs, cues)
    if not asides:
        return groups
    around = tracker.unknown()
    owner = {id(quote): entity for entity, group in groups for quote in group}
    split: Groups = []
    for quote, aside in zip(qs, asides):
        entity = owner[id(quote)] if aside else around
        if split and split[-1][0] == entity:
            split[-1][1].append(quote)
        else:
            split.append((entity, [quote]))
    return split


def _asides(text: str, para_start: int, qs: list[Quote], cues: list[Cue | None]) -> list[bool]:
    """Which quotations stand in a tagged aside in parentheses while a speech goes on around them: empty when the
    paragraph has none, when every quotation is in one (`(“I only wish it was,” the March Hare said to itself in a
    whisper.)`), or when a quotation outside them has a tag of its own."""
    inside, depth, since = [], 0, para_start
    for quote in qs:
        narration = text[since:quote.open_mark]  # speech may hold parentheses of its own: only narration counts
        depth = max(0, depth + narration.count("(") - narration.count(")"))
        inside.append(depth > 0)
        since = (quote.close_mark if quote.close_mark is not None else quote.end) + 1
    tagged_inside = any(cue is not None for cue, aside in zip(cues, inside) if aside)
    tagged_outside = any(cue is not None for cue, aside in zip(cues, inside) if not aside)
    return inside if tagged_inside and not tagged_outside and not all(inside) else []


# words someone else said or wrote, quoted inside the speech: curly, straight double, or straight single marks (an
# apostrophe within a word, `don't`, neither opens nor closes one)
_INNER_QUOTE = re.compile(r"‘[^’]*’|“[^”]*”|\"[^\"]*\"|"
                          r"(?<![\w'])'(?=[^\s'])(?:[^']|(?<=\w)'(?=\w))*?(?<=\S)'(?!\w)")


_ONLY_A_NAME = re.compile(r"[\s,.!?_—–-]*")


def _talked_of(text: str, qs: list[Quote], tracker: SpeakerTracker, called: list[str]) -> set[str]:
    """The cast a speech speaks of by name (`I beg you will not put it into Lizzy's head`, possessives included),
    not in words it quotes (a letter read out names its reader), not a name several sisters answer to, and not a
    name the speech before called or quoted, written the same way: its bearer may echo it (`'Even Emma ... will
    think this a good match.'` / `"I cannot help wondering at your knowing so little of Emma"`), or it is someone
    else's (`my dear Emma ... little Emma` / `Little Emma, grow up`). Nobody else speaks of themselves so."""
    pattern = tracker.cast.pattern
    if pattern is None:
        return set()
    said, quoted = set(), set()
    for quote in qs:
        speech = text[quote.start:quote.end]
        quoted |= {" ".join(m.group().split()) for inner in _INNER_QUOTE.finditer(speech)
                   for m in pattern.finditer(inner.group())}
        speech = _INNER_QUOTE.sub(" ", speech)
        names = list(pattern.finditer(speech))  # one scan serves both the only-a-name test and the names
        gaps = zip([0, *(m.end() for m in names)], [*(m.start() for m in names), len(speech)])
        if all(_ONLY_A_NAME.fullmatch(speech, start, end) for start, end in gaps):
            continue  # the name "Alice!" read out calls her; it is not talk about her
        said |= {" ".join(match.group().split()) for match in names}
    echoed, tracker.last_said = tracker.last_said, quoted | set(called)
    return {tracker.cast.canonical(name) for name in said - echoed if not tracker.cast.sisters_called(name)}


def _untagged_speaker(text: str, para_start: int, qs: list[Quote], tracker: SpeakerTracker,
                      lead_in: str, gap: int) -> Entity:
    """No tag in the paragraph: its own narration, the narration leading in, or alternation.

    `lead_in` is the narration paragraph just before, when it introduces this speech
    (`...and in a constrained manner said,--`) or follows a long stretch of narration. The paragraph's own
    narration takes its place when it ends on a verb of speaking that no tag pattern ties to its subject: it is
    nearer the speech.
    """
    continues = qs[0].continues
    own = text[para_start:qs[0].open_mark]
    weak = None if continues else _narration_speaker(own, tracker)
    if ends_on_speech_verb(own):
        lead_in = own  # `She answered in the affirmative; and, unable to resist the temptation, added, "When you..."`
    lead = None
    if weak is None and not continues and lead_in:
        lead = cue_before(lead_in) or speaking_subject(lead_in) or last_sentence_subject(lead_in)
    if lead is not None and lead.kind == "pronoun":
        if gap == 0 and tracker.turns and tracker.turns[-1].gender in (lead.gender, None):
            return tracker.turns[-1]  # `said the Duchess; and she began singing:` then the song
        # a lead-in that opens on the same she is about the person the narration is about, even in a running
        # exchange (`She was a little revived ...; and she seized the opportunity of saying,--`)
        topic = tracker.topic(lead.gender)
        if topic is not None and lead_in.lstrip()[:4].lower() == lead.value.lower() + " ":
            return topic
        # after a long narration (or none before) the pronoun is someone just named, preferably a
        # sentence's subject; in a running exchange, a participant
        fresh = gap >= _FRESH_GAP or not tracker.turns
        names = tracker.cast.subjects_last(lead_in) if fresh else []
        if _about_the_one_called(lead, lead_in, tracker):
            return tracker.unknown()  # whom the turn-taking names later (`_name_by_alternation`), if anyone
        return tracker.speaker(lead, same_paragraph_names=names, continues=False, weak=None, recent_narration=fresh)
    return tracker.speaker(None, same_paragraph_names=[], continues=continues, weak=weak or lead)


def _about_the_one_called(lead: Cue, lead_in: str, tracker: SpeakerTracker) -> bool:
    """The he or she the lead-in ends on can only be the one the speech calls, who listens (`They found Mr. Bennet
    still up. ... he soon found that he had a very different story to hear.` / `"Oh, my dear Mr. Bennet," as she
    entered the room`): the sentence of that pronoun names nobody of its gender (not `she had mentioned his name to
    Elizabeth; but now ... she said,--`), and the last sentence before it that names anyone of that gender names
    only the one called. Then the lead-in names no speaker, and the next man it names is not one either: the
    speaker is unknown."""
    def of_gender(sentence: str) -> set[str]:
        return {name for name in tracker.cast.mentions(sentence) if tracker.cast.gender(name) == lead.gender}

    pronoun = re.compile(rf"\b{lead.value}\b", re.IGNORECASE)
    parts = sentences(lead_in)
    last = max((n for n, sentence in enumerate(parts) if pronoun.search(sentence)), default=None)
    if last is None or of_gender(parts[last]):
        return False
    for sentence in reversed(parts[:last]):
        if found := of_gender(sentence):
            return len(found) == 1 and found <= tracker.called
    return False


def _tagged_groups(text: str, para_start: int, qs: list[Quote], cues: list[Cue | None],
                   tracker: SpeakerTracker) -> list[tuple[Entity, list[Quote]]]:
    """Quotations without a tag of their own belong with the tagged one before (or after) them."""
    groups: list[tuple[Entity, list[Quote]]] = []
    current: Entity | None = None
    last_cue: Cue | None = None
    first = next(i for i, c in enumerate(cues) if c is not None)
    first_cue = cues[first]
    heard = _heard_apart(text, para_start, qs[:first + 1])
    if heard:
        current = tracker.unknown()
        groups.append((current, qs[:heard]))
    for i, quote in enumerate(qs[heard:], heard):
        cue = cues[i] if cues[i] is not None else (None if current is not None else first_cue)
        if cue is not None and (cue == last_cue or _same_person(cue, current)):
            cue = None  # `they both cried. 'Wake up!'`, `said the Duchess ... as she added, '...'`
        if cue is not None:
            last_cue = cue
            # only the narration and speech next to this quotation: a paragraph can be a whole book
            since = (qs[i - 1].close_mark or qs[i - 1].end) + 1 if i else para_start
            before = text[since:quote.open_mark]
            nearby_speech = " ".join(text[q.start:q.end] for q in qs[max(0, i - 1):i + 2])
            entity = tracker.speaker(cue, same_paragraph_names=tracker.cast.mentions(before),
                                     continues=quote.continues and i == 0, weak=None,
                                     speech_names=tuple(tracker.cast.mentions(nearby_speech)), paragraph_narration=before)
            if entity != current:
                if current is not None:
                    tracker.spoke(current, [])
                current = entity
                groups.append((entity, []))
        groups[-1][1].append(quote)
    return groups


def _heard_apart(text: str, para_start: int, qs: list[Quote]) -> int:
    """How many of the quotations before a paragraph's first tagged one (the last of `qs`) are words someone hears,
    not the tag's speaker's: the narration leads into them with hearing, and a sentence of narration parts them from
    the tag (`Alice could only hear whispers now and then; such as, "Sure, I don't like it, yer honour!" "Do as I tell
    you, you coward!" and at last she spread out her hand again. This time there were two little shrieks. "What a
    number of cucumber-frames there must be!" thought Alice.`). Whose they are the narration does not say."""
    if len(qs) < 2 or not _HEARING.search(last_sentence(text[para_start:qs[0].open_mark])):
        return 0
    for i in range(len(qs) - 2, -1, -1):
        between = text[(qs[i].close_mark or qs[i].end) + 1:qs[i + 1].open_mark]
        if _SENTENCE_BREAK.search(between):
            return i + 1
    return 0


def _narration_speaker(narration: str, tracker: SpeakerTracker) -> Cue | None:
    """The character the narration before a speech is about: `The Dormouse ... said,`.

    The first cast name of the last sentence that names one; a sentence-initial name
    outside the cast otherwise. Only used when the paragraph has no tag at all. Not:
    - someone whose words the narration has just reported (`Anne said what was proper, and
      enquired after her husband. "Oh! Charles is out shooting."`): the speech answers them;
    - a name of another gender than the he or she of the sentences after it (`...she had the good
      fortune to meet with the Admiral. He was standing by himself ... "Ha! is it you?"`): the latest
      name of that gender in the sentence;
    - anyone where `one of them ... said,` hands over: nobody says which one.
    """
    parts = sentences(narration)
    if parts and _one_of_them_says(parts[-1], tracker.cast):
        return Cue("np", "one of them", "group")
    if tracker.reports_speech_in(parts):
        return None
    pronoun = None
    for sentence in reversed(parts):
        names = tracker.cast.mentions(sentence)
        if names:
            by_pronoun = [name for name in names if tracker.cast.gender(name) == pronoun]
            if pronoun and tracker.cast.gender(names[0]) not in (pronoun, None) and by_pronoun and (
                    not _may_be_protagonist(pronoun, names, tracker.cast)):
                return Cue("name", by_pronoun[-1], pronoun)
            return Cue("name", names[0], tracker.cast.gender(names[0]))
        pronoun = pronoun or _pronoun_subject(sentence)
    return narration_subject(narration)


_ONE_OF_THEM = re.compile(r"\b[Oo]ne\s+of\s+(?:them|us|these|those|(?:the|their)\s+[A-Za-z]+(?:s|men|ren))\b")
_OTHER_SUBJECT = re.compile(r"(?:^|[\s,;(])(?:he|she|they|I)\s")


def _one_of_them_says(sentence: str, cast: Cast) -> bool:
    """`one of them after talking of rank, people of rank, and jealousy of rank, said,`: the speaker is one of a
    group the narration does not name (not `one of the earliest--`, nor `one of the necessaries of life; he
    supposed,`)."""
    found = None
    for found in _ONE_OF_THEM.finditer(sentence):
        pass
    if found is None or not introduces(sentence):
        return False
    rest = sentence[found.end():]
    return bool(SPEECH_VERB.search(rest)) and not _OTHER_SUBJECT.search(rest) and not cast.mentions(rest)


def _may_be_protagonist(gender: str, names: list[str], cast: Cast) -> bool:
    """Whether a he or she could be the book's unnamed point of view (`...a different account of Harriet
    from what had reached her. She had sent while dressing` is Emma, not Harriet)."""
    protagonist = cast.protagonist
    return protagonist is not None and protagonist not in names and cast.gender(protagonist) in (gender, None)


def _pronoun_subject(sentence: str) -> str | None:
    """The gender of a sentence's last he or she, the one nearest the speech (`When he did perceive ...`; `He
    advised her against it, ... she smiled and said,` is she)."""
    found = re.findall(r"(?:^|[\s,;(])(he|she|He|She)\s", sentence)
    return None if not found else "m" if found[-1].lower() == "he" else "f"


def _same_person(cue: Cue, current: Entity | None) -> bool:
    """A he/she tag after a named speaker in the same paragraph goes on with that speaker."""
    return (current is not None and cue.kind == "pronoun" and cue.gender in ("m", "f")
            and current.gender in (cue.gender, None))


def _narration_of(text: str, start: int, end: int, qs: list[Quote]) -> str:
    """The paragraph's words outside its quotations, up to `end`."""
    pieces, pos = [], start
    for quote in qs:
        if quote.open_mark >= end:
            break
        pieces.append(text[pos:quote.open_mark])
        pos = (quote.close_mark + 1) if quote.close_mark is not None else end
    if pos < end:
        pieces.append(text[pos:end])
    return " ".join(pieces)


def _addressed(text: str, qs: list[Quote], tracker: SpeakerTracker, within: int | None = None,
               at_end: bool = False) -> list[str]:
    """Names called in the speech (`My dear Mr. Bennet,`, `..., Lizzy?`): the likely next speaker.
    `within`: only in the first characters of each quotation; `at_end`: only a name that ends it (`..., Mr. Darcy!`)."""
    pattern = tracker.cast.pattern
    if pattern is None:
        return []
    names = []
    for quote in qs:
        speech = text[quote.start:quote.end if within is None else min(quote.end, quote.start + within)]
        for match in pattern.finditer(speech):
            after = speech[match.end():match.end() + 2].lstrip()
            before = speech[max(0, match.start() - 6):match.start()].rstrip()
            alone = not speech[:match.start()].strip(" \n,.!?_") and not speech[match.end():].strip(" \n,.!?_")
            if alone and not speech[match.end():].lstrip(" _").startswith(","):
                continue  # `Bingley.` answering `What is his name?` calls nobody (`Lizzy,” said he,` does)
            if at_end and speech[match.end():].strip(" \n,.!?_"):
                continue
            if _APPOSITION.search(speech, 0, match.start()):
                continue  # `his cousin Miss De Bourgh, and of her mother, Lady Catherine.` talks about her
            if (not after or after[0] in ",!?.") and (not before or before[-1] == "," or _CALLING.search(before)):
                names.append(tracker.vocative(" ".join(match.group().split())))
    return names


_TURNING_TO = re.compile(r"\bturning\s+(?:round\s+)?to(?:wards)?\s+")
_SOMEONE = re.compile(r"(?:the|a|an|his|her|their)\s+[a-z]+\b")
_STRANGER = "#stranger"


def _turned_to(text: str, qs: list[Quote], tracker: SpeakerTracker) -> list[str]:
    """Whom the speaker turns to between the paragraph's quotations (`Pray sir," turning to the waiter, "did
    not you hear`): the one who answers, before anyone the speech called earlier. Someone the book never
    tags (`the waiter`) is _STRANGER: an unnamed speaker answers. Not when the speech calls someone after it
    (`For your sake," turning to Charlotte, "I am glad of it; ... Do you play and sing, Miss Bennet?"`)."""
    found: list[str] = []
    for index, (previous, quote) in enumerate(zip(qs, qs[1:])):
        if previous.close_mark is None:
            continue
        between = text[previous.close_mark + 1:quote.open_mark]
        turning = _TURNING_TO.search(between)
        if turning is None:
            continue
        rest = between[turning.end():]
        names = tracker.cast.mentions(rest[:40])
        if _addressed(text, qs[index + 1:], tracker):
            found = []
        elif names and rest.lstrip().startswith(names[0].split()[0]):
            found = [names[0]]
        elif _SOMEONE.match(rest) and not names:
            found = [_STRANGER]
    return found


_THOUGHT_TAG = re.compile(r"[\s,;—–-]*(?:thought|(?:[A-Z][\w.’']*\s+){1,3}thought)\b")


def _thought(text: str, qs: list[Quote]) -> bool:
    """Whether a tag after one of the quotations makes it a thought (`thought Emma`, `Emma thought`)."""
    return any(quote.close_mark is not None and _THOUGHT_TAG.match(text, quote.close_mark + 1, quote.close_mark + 60)
               for quote in qs)


# after a preposition, a relation and a comma name that relation (`of her mother, Lady Catherine.`); `I am sorry we
# cannot see your sister, Miss Dashwood,` calls her
_APPOSITION = re.compile(r"\b(?:of|to|with|from|by|for|about)\s+(?:his|her|my|your|their|our|the)\s+"
                         r"(?:mother|father|aunt|uncle|cousin|sister|brother|patroness|patron|daughter|son|wife|"
                         r"husband|niece|nephew|friend),\s*\Z")
_CALLING = re.compile(r"(?:\bdear(?:est)?|(?:^|\s)[Mm]y)\Z")  # `my dear Lizzy,`, `You like it, my Emma, as little`
_POLITE = re.compile(r"(?:^|[,;!?.]\s+)(?:[Ss]ir|[Mm]adam|[Mm]a['’]am)(?=\s*[,;!?.]|\s*\Z)")


def _polite_address(text: str, qs: list[Quote]) -> str | None:
    """"m" for a speech that calls someone `sir`, "f" for `madam` or `ma'am`: the next speaker's gender."""
    for quote in qs:
        found = _POLITE.search(text, quote.start, quote.end)
        if found:
            return "m" if found.group().lstrip(",;!?. \n").lower().startswith("s") else "f"
    return None


def _add(turns: list[SpeechTurn], text: str, entity: Entity, quotes: list[Quote], scene: str, context: str) -> None:
    utterances = [Utterance(q.start, q.end, text[q.start:q.end], _after_sentence_end(text, q.open_mark))
                  for q in quotes]
    previous = turns[-1] if turns else None
    if previous is not None and previous.scene == scene and previous.extra.get("speaker_id") == entity.key:
        previous.utterances.extend(utterances)
        return
    extra = {"speaker_id": entity.key, **({"someone_else": True} if entity.nameless else {})}
    turns.append(SpeechTurn(entity.name, utterances, context=_tail(context), scene=scene, extra=extra))


def _after_sentence_end(text: str, open_mark: int) -> bool:
    """Whether the narration just before a quotation ended a sentence (`said Fitzwilliam, smiling.`),
    looking past spaces and marks; a tag ending in a comma or a dash runs on into the speech."""
    pos = open_mark - 1
    while pos >= 0 and (text[pos].isspace() or text[pos] in "\"“”‘’'«»„_*"):
        pos -= 1
    return pos < 0 or text[pos] in ".!?"


def _tail(context: str) -> str:
    context = re.sub(r"\s+", " ", context).strip()
    return context[-_CONTEXT_CHARS:]
