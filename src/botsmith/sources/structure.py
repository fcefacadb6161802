"""What blocks are: chapter (act, scene) headings, lists such as tables of contents,
prose, verse, and whether the whole text is a play script.
"""

from __future__ import annotations

import re
from collections import Counter

from botsmith.sources.layout import Block

_ORDINALS = (r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|last|final")
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
_NUMBER = rf"(?:[ivxlcdm]+|\d+|(?:{_NUMBER_WORDS})(?:[-\s](?:{_NUMBER_WORDS}))?|the\s+(?:{_ORDINALS}))"
_KEYWORD_HEADING = re.compile(
    rf"^(?:chapter|chap\.|book|part|volume|vol\.|stave|canto|act|scene|letter)\s+{_NUMBER}\b\s*[.:—–-]?\s*(.*)$",
    re.IGNORECASE,
)
_NAMED_HEADING = re.compile(r"^(?:the\s+)?(?:prologue|epilogue|prelude|induction|finale)\b[.:]?\s*(.*)$", re.IGNORECASE)
_NUMERAL_HEADING = re.compile(r"^(?:[IVXLC]+|\d{1,3})\.?(?:\s+[A-Z][A-Z ,;'’—-]+\.?)?$")
# "I. The Period": a numeral, then a title in title case (a list item "1. Buy milk" is not)
_NUMERAL_TITLE = re.compile(r"^(?:[IVXLC]+|\d{1,3})\.\s+(\S.{0,60})$")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the",
                "to", "with", "de", "la", "le", "von", "van"}
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+\S")
_PAGE_NUMBER = re.compile(r"(?:\s{2,}|\.{2,}\s*|\s\.\s)(?:[ivxlc]+|\d+)\.?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?;:,\"”’'—)]$")
_QUOTE_START = re.compile(r"^[\"“‘'(\[]")
_SPEAKER = re.compile(r"^(?:\d\s)?[A-Z][A-Za-z’']*(?:\s[A-Z][A-Za-z’']*){0,2}\.$")
_INLINE_SPEAKER = re.compile(r"^\s*(?:\d\s)?[A-Z][A-Z’']+(?:\s[A-Z][A-Z’']+){0,2}\.\s+\S")
_ACT_SCENE = re.compile(r"^(?:act|scene)\s+[ivxlc\d]+\b", re.IGNORECASE)
_HEADING_WIDTH = 80
# Front- and back-matter sections, by the heading that opens them.
_SECTION_NAMES: tuple[tuple[str, str], ...] = (
    (r"(table\s+of\s+)?contents", "contents"),
    (r"(list\s+of\s+)?(illustrations|plates)", "list of illustrations"),
    (r"(editor[’']?s\s+|translator[’']?s\s+|author[’']?s\s+)?preface", "preface"),
    (r"(editor[’']?s\s+|critical\s+)?introduction", "introduction"),
    (r"foreword|preliminary\s+note|prefatory\s+note|editor[’']?s\s+note|note", "editor's note"),
    (r"biographical\s+(notice|note|sketch)|memoir|life\s+of\s+the\s+author", "biographical note"),
    (r"dedication|dedicatory", "dedication"),
    (r"transcriber[’']?s?\s+notes?", "transcriber's note"),
    (r"advertisements?", "advertisements"),
    (r"(dramatis\s+person(ae|æ)|persons\s+represented|characters(\s+in\s+the\s+play)?|persons\s+of\s+the\s+(drama|play))",
     "dramatis personae"),
    (r"index|glossary|errata", "index"),
)
_SECTION = [(re.compile(rf"^\W*(?:{pattern})\W*$", re.IGNORECASE), name) for pattern, name in _SECTION_NAMES]


def heading_line(text: str) -> bool:
    """Whether one line, on its own, reads as a chapter/act/scene heading."""
    text = text.strip()
    if not text or len(text) > _HEADING_WIDTH:
        return False
    return bool(_KEYWORD_HEADING.match(text) or _NAMED_HEADING.match(text) and len(text) < 40
                or _NUMERAL_HEADING.match(text) or _MARKDOWN_HEADING.match(text) or _numbered_title(text))


def _numbered_title(text: str) -> bool:
    match = _NUMERAL_TITLE.match(text)
    if not match or match.group(1).rstrip(".").endswith((",", ";", ":")):
        return False
    words = re.findall(r"[^\W\d_][\w’'-]*", match.group(1))
    return bool(words) and all(word[0].isupper() or word.lower() in _SMALL_WORDS for word in words)


def list_like(block: Block) -> bool:
    """A table of contents or list of illustrations: headings or page numbers line after line."""
    lines = block.stripped
    if len(lines) < 2:
        return bool(_PAGE_NUMBER.search(lines[0])) and len(lines[0]) < _HEADING_WIDTH
    listed = sum(1 for line in lines if heading_line(line) or _PAGE_NUMBER.search(line))
    return listed >= max(2, len(lines) // 2)


def section_name(block: Block) -> str | None:
    first = block.stripped[0]
    if len(first) > 60:
        return None
    return next((name for pattern, name in _SECTION if pattern.match(first)), None)


def subtitle_like(block: Block) -> bool:
    """A short title line under a heading ("Down the Rabbit-Hole"), not a first sentence."""
    if len(block.lines) > 2:
        return False
    text = block.joined
    if len(text) > 60 or _QUOTE_START.match(text) or section_name(block) or heading_line(text):
        return False
    return text.isupper() or not _SENTENCE_END.search(text)


def words(block: Block) -> int:
    return len(block.joined.split())


def mark_headings(blocks: list[Block]) -> list[Block]:
    """Set `.heading` on heading blocks, split a heading off the prose it is glued to,
    and fold a subtitle block into the heading above it."""
    out: list[Block] = []
    for block in blocks:
        out.extend(_split_glued_heading(block))
    for index, block in enumerate(out):
        if _is_heading_block(block):
            block.heading = " ".join(block.stripped).lstrip("# ").strip()
        elif index and out[index - 1].heading is not None and "subtitle" not in out[index - 1].tags \
                and subtitle_like(block) and block.gap <= 3:
            previous = out[index - 1]
            previous.heading = f"{previous.heading} {block.joined}"
            previous.tags.add("subtitle")
            block.tags.add("subtitle-of-previous")
    return [block for block in out if "subtitle-of-previous" not in block.tags]


def _is_heading_block(block: Block) -> bool:
    lines = block.stripped
    if len(lines) > 3 or not heading_line(lines[0]) or list_like(block) and len(lines) > 1:
        return False
    return all(len(line) <= _HEADING_WIDTH for line in lines)


def _split_glued_heading(block: Block) -> list[Block]:
    """"CHAPTER 1" directly above the chapter's first paragraph, with no blank between."""
    lines = block.stripped
    if len(lines) < 2 or not heading_line(lines[0]) or list_like(block):
        return [block]
    if len(lines) > 3 or not all(_subtitle_line(line) for line in lines[1:]):
        return [Block(block.lines[:1], block.gap), Block(block.lines[1:], 0)]
    return [block]


def _subtitle_line(line: str) -> bool:
    """"Down the Rabbit-Hole", "THE COACH", "Elsinore." - not a sentence of prose."""
    return len(line) <= 60 and (line.isupper() or not _SENTENCE_END.search(line) or len(line.split()) <= 4)


def wrap_width(blocks: list[Block]) -> int:
    """The width the text was hard-wrapped at (a high percentile of line lengths)."""
    lengths = sorted(len(line.text.rstrip()) for block in blocks for line in block.lines)
    if not lengths:
        return 0
    return lengths[int(len(lengths) * 0.9)]


def is_verse(block: Block, width: int) -> bool:
    """Poems and songs keep their lines: most lines end well short of the wrap width,
    or the indentation changes from line to line."""
    if len(block.lines) < 2 or width <= 0:
        return False
    raw = [line.text.rstrip() for line in block.lines]
    short = sum(1 for text in raw[:-1] if len(text) < 0.75 * width)
    indents = {len(text) - len(text.lstrip()) for text in raw}
    # two-line blocks need the indentation clue: one short line proves nothing
    return len(raw) >= 3 and short >= (len(raw) - 1) * 0.5 or len(indents) > 1 and short >= 1


def looks_like_play(blocks: list[Block]) -> bool:
    """A play script: many speeches start with a speaker label, and there are acts or scenes."""
    labels: Counter[str] = Counter()
    for block in blocks:
        first = block.stripped[0]
        if len(block.lines) > 1 and _SPEAKER.match(first) and len(first) <= 30:
            labels[first] += 1
        elif _INLINE_SPEAKER.match(block.lines[0].text):
            labels[first.split(".")[0]] += 1
    repeated = sum(count for count in labels.values() if count >= 3)
    acts = sum(1 for block in blocks if _ACT_SCENE.match(block.stripped[0]))
    return acts >= 1 and repeated >= 20 and repeated >= 0.25 * len(blocks)


def is_act_heading(title: str) -> bool:
    return title.lower().startswith("act")
