"""Quotations that are not speech: written notices and labels, quoted words, and quoted letters.

`labelled “ORANGE MARMALADE”`, `the words “DRINK ME” beautifully printed`, and a letter
introduced by `was as follows:--` and signed `“FITZWILLIAM DARCY.”` are quoted, but no
one says them. A letter is dropped with all the paragraphs that continue it.
"""

from __future__ import annotations

import re

from botsmith.extract.dialogue.attribution import VERB
from botsmith.extract.dialogue.scan import Quote

_WRITTEN_BEFORE = re.compile(
    r"\b(?:labell?ed|marked|written|printed|inscribed|engraved|entitled|headed|titled|the\s+words?|"
    r"a\s+sign|notice|placard|label|card|ticket|motto|inscription|legend|painted|"
    r"(?:letter|note|parcel|packet),\s+directed\s+to|superscribed)"  # `This was the letter, directed to "Charles Smith,"`
    r"[\s,:;—–\-_*]*\Z", re.IGNORECASE)
_WRITTEN_AFTER = re.compile(
    r"[\s,.;:_*]*(?:(?:was|were|is|are)\s+)?(?:\w+ly\s+)?(?:printed|written|marked|painted|engraved|inscribed)\b")
_LETTER_INTRO = re.compile(
    r"\b(?:letter|note|notes|wrote|written|epistle|contents|verses|read|as\s+follows|following|ran\s+thus|runs\s+thus|"
    r"postscript|billet)\b[^.!?]*\Z", re.IGNORECASE)
_ABOUT_A_LETTER = re.compile(r"\b(?:letter|note|envelope|postscript|sheet|page|part|wrote|written)\b", re.IGNORECASE)
_STRONG_INTRO = re.compile(r"\b(?:as\s+follows|to\s+(?:this|the\s+following)\s+effect|(?:were|was)\s+the\s+contents|"
                           r"ran\s+thus|runs\s+thus|in\s+these\s+words)\b", re.IGNORECASE)
_INTRO_END = re.compile(r"(?::\s*(?:--|—|–)?|(?:--|—))\s*\Z")
_SALUTATION = re.compile(r"(?:my\s+)?(?:dear|dearest|honoured|respected)\b[^.!?]{0,40},?\Z|(?:sir|madam|gentlemen),?\Z",
                         re.IGNORECASE)
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# A letter's heading: `February 1st.`, `Hunsford, Monday.`, `Longbourn, 12th November.`, `Tuesday morning.`
_DATE = (r"(?:\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH + r"|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?)(?:,?\s*\d{4})?")
_DATE_LINE = re.compile(r"(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?,\s*)*"  # places: `Hunsford, near Westerham, Kent,`
                        r"(?:" + _DAY + r"(?:\s+(?:morning|evening|night))?(?:,?\s*" + _DATE + r")?|" + _DATE + r")"
                        r"\.?\s*\Z")
_SIGNATURE = re.compile(r"(?:yours\b[^.!?]{0,60}|[A-Z][A-Z .'’-]{3,40}\.?)\Z")
_SPEECH_TAG = re.compile(VERB + r"\b")
_SONG = re.compile(r"\b(?:sing|sings|sang|singing|sung|song|songs|lullaby|chorus|hymn|ballad|verses?|recite[sd]?|"
                   r"reciting)\b", re.IGNORECASE)
_HEADING_ONLY = re.compile(r"\s*[A-Z][A-Z .]{2,30}\.?\s*\Z")  # `CHORUS.`
_NAMING = re.compile(r"\b(?:called|named|termed|christened|nicknamed|styled)\s*\Z")


def drop_non_speech(text: str, quotes: list[Quote], paragraph_starts: list[int]) -> tuple[list[Quote], int]:
    """The quotations that are speech, and how many were dropped as notices or letters."""
    kept: list[Quote] = []
    in_letter = False
    letter_ended = -2  # the paragraph where the last dropped letter ended
    for index, quote in enumerate(quotes):
        if quote.continues and in_letter:
            letter_ended = quote.paragraph
            continue
        in_letter = False
        before = _narration_before(text, quotes, index, paragraph_starts)
        resumes = _letter_resumes(text, quote, before, letter_ended, paragraph_starts[quote.paragraph])
        if (_is_letter_start(text, quote, before) or _is_signature(text, quote, before)
                or _is_song(text, quotes, index) or resumes):
            in_letter = True
            letter_ended = quote.paragraph
            continue
        if _is_notice(text, quote, before) or _is_mention(text, quote, before):
            continue
        kept.append(quote)
    return kept, len(quotes) - len(kept)


def _narration_before(text: str, quotes: list[Quote], index: int, paragraph_starts: list[int]) -> str:
    """Narration before a quotation: in its paragraph, or the whole previous paragraph if it opens one."""
    quote = quotes[index]
    para_start = paragraph_starts[quote.paragraph]
    if index and quotes[index - 1].paragraph == quote.paragraph:
        previous = quotes[index - 1]
        return text[(previous.close_mark or previous.end) + 1:quote.open_mark]
    if text[para_start:quote.open_mark].strip():
        return text[para_start:quote.open_mark]
    if quote.paragraph == 0:
        return ""
    prev_start = paragraph_starts[quote.paragraph - 1]
    if index and quotes[index - 1].paragraph == quote.paragraph - 1:
        return ""  # the previous paragraph is speech, not an introduction
    return text[prev_start:para_start]


def _is_letter_start(text: str, quote: Quote, before: str) -> bool:
    content = text[quote.start:quote.end]
    if quote.close_mark is None and (_SALUTATION.match(content) or _DATE_LINE.match(content)) and len(content) < 60:
        return True  # `“My dear Anne,` or `“February 1st.` alone, the letter going on in the next paragraph
    tail = before.rstrip()[-200:]
    if _tagged(tail):
        return False
    return bool(_STRONG_INTRO.search(tail) or (_INTRO_END.search(tail) and _LETTER_INTRO.search(tail)))


def _letter_resumes(text: str, quote: Quote, before: str, letter_ended: int, paragraph_start: int) -> bool:
    """A letter going on after one paragraph of narration about it (`So ended the first part, which had been
    afterwards put into an envelope, containing nearly as much more.` then `“I kept my letter open, ...`): an
    untagged quotation opening the paragraph (not `“You cannot think I mean to hurry you,” said he`)."""
    if quote.paragraph != letter_ended + 2 or quote.continues or text[paragraph_start:quote.open_mark].strip():
        return False
    after = text[quote.close_mark + 1:quote.close_mark + 40] if quote.close_mark is not None else ""
    return (len(before) < 400 and bool(_ABOUT_A_LETTER.search(before)) and not _tagged(before)
            and not _SPEECH_TAG.search(after.split(".")[0]))


def _is_song(text: str, quotes: list[Quote], index: int) -> bool:
    """A song or recited verse handed over by the narration (`singing a sort of lullaby to it ... at the
    end of every line:`, a `CHORUS.` line): sung, not said to anyone, so no turn of a conversation."""
    quote = quotes[index]
    since = (quotes[index - 1].close_mark or quotes[index - 1].end) + 1 if index else 0
    if index and quotes[index - 1].paragraph == quote.paragraph:
        return False  # inside a paragraph of speech: the speaker's own words
    intro = text[max(since, quote.open_mark - 400):quote.open_mark].rstrip()
    last_block = re.split(r"\n\s*\n", intro)[-1] if intro else ""
    if _HEADING_ONLY.match(last_block):
        return bool(_SONG.search(last_block))
    # `when Mary had finished her second song, said aloud,--` hands over to speech: a verb of saying
    # right before the quotation wins over a song mentioned earlier
    said = any(verb.group() not in ("sang", "chorused") for verb in _SPEECH_TAG.finditer(intro[-25:]))
    return bool(_INTRO_END.search(intro)) and bool(_SONG.search(intro)) and not said


def _tagged(tail: str) -> bool:
    last_clause = re.split(r"[.!?;]", tail)[-1]
    return bool(_SPEECH_TAG.search(last_clause))


def _is_signature(text: str, quote: Quote, before: str) -> bool:
    content = text[quote.start:quote.end]
    return bool(not before.strip() and len(content) < 70 and _SIGNATURE.match(content)
                and (content.lower().startswith("yours") or content.rstrip(".").isupper()))


def _is_mention(text: str, quote: Quote, before: str) -> bool:
    """A word or name quoted inside narration: `called “Mrs. Wickham” by`, `However, 'jury-men' would`."""
    content = text[quote.start:quote.end].strip("_*")
    if quote.close_mark is None or len(content.split()) > 3 or content[-1:] in ",.!?;:—–-…":
        return False
    after = text[quote.close_mark + 1:quote.close_mark + 60]
    tagged = _tagged(before) and not _NAMING.search(before)
    return (before.strip() != "" and not tagged and after[:1] in (" ", "\n", "\r")
            and after.lstrip()[:1].islower() and not _SPEECH_TAG.match(after.lstrip()))


def quoted_fragments(text: str, quotes: list[Quote], paragraph_starts: list[int]) -> set[int]:
    """Where the speech quotations that are fragments inside narration start (see `_is_fragment`). They stay
    in the turn-taking, which the author's paragraphs still follow, and leave the turns afterwards."""
    return {quote.start for index, quote in enumerate(quotes) if _is_fragment(text, quotes, index, paragraph_starts)}


def _is_fragment(text: str, quotes: list[Quote], index: int, paragraph_starts: list[int]) -> bool:
    """Someone's words quoted inside a sentence of narration, in the narration's grammar: `Mr. Hurst also made
    her a slight bow, and said he was “very glad;”`, `calling him “poor Richard,”`, `Charles “had never seen a
    pleasanter man in his life`. No line anyone says (`Elizabeth quietly answered “undoubtedly;”` is one)."""
    quote = quotes[index]
    if quote.continues or not text[quote.start:quote.start + 1].islower():
        return False
    if index and quotes[index - 1].paragraph == quote.paragraph:
        return False  # `"My dear Mr. Bennet," said his lady, "have you heard` goes on after its tag
    narration = text[paragraph_starts[quote.paragraph]:quote.open_mark].rstrip()
    if re.search(r"\bsuch\s+as\s*,\Z", narration):
        return True  # `she could not avoid hearing many undesirable particulars; such as, “how Mr Musgrove ...`
    last_word = re.search(r"(\w+)\Z", narration)
    return last_word is not None and not _SPEECH_TAG.fullmatch(last_word.group(1))


def _is_notice(text: str, quote: Quote, before: str) -> bool:
    content = text[quote.start:quote.end]
    if _WRITTEN_BEFORE.search(before[-60:]):
        return True
    after = text[quote.close_mark + 1:quote.close_mark + 60] if quote.close_mark is not None else ""
    if after and _WRITTEN_AFTER.match(after):
        return True
    shouted = content.isupper() and len(content) < 40 and before.strip() != ""
    return shouted and not _SPEECH_TAG.match(after.lstrip(" ,;:—–-")) and not _tagged(before)
