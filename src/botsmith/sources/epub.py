"""EPUB books read with the standard library: an EPUB is a ZIP of XHTML files whose
reading order (the spine) and metadata live in an OPF file that
META-INF/container.xml points to. No third-party package is needed.

The text comes out one paragraph per line, blank lines between; h1-h3 headings are
written as Markdown `#` headings so the cleaner treats them as chapter titles.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from xml.etree import ElementTree

from botsmith.errors import BotsmithError

_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
       "dc": "http://purl.org/dc/elements/1.1/"}
_BLOCK_TAGS = {"p", "div", "li", "blockquote", "tr", "section", "article", "pre", "dd", "dt", "table"}
_HEADING_TAGS = {"h1", "h2", "h3"}
_MINOR_HEADINGS = {"h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "head", "title", "svg", "math"}


@dataclass
class EpubBook:
    text: str
    meta: dict[str, str]


def read_epub(data: bytes, *, name: str = "book.epub") -> EpubBook:
    """The book's text in reading order, and its title, author and language."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        opf_path = _rootfile(archive)
        opf = ElementTree.fromstring(archive.read(opf_path))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, StopIteration) as error:
        raise BotsmithError(f"{name}: not a readable EPUB ({error})", hint="check the file opens in an e-book reader")
    base = posixpath.dirname(opf_path)
    manifest = {item.get("id"): item for item in opf.iterfind("opf:manifest/opf:item", _NS)}
    parts = []
    for ref in opf.iterfind("opf:spine/opf:itemref", _NS):
        item = manifest.get(ref.get("idref"))
        if item is None or "html" not in (item.get("media-type") or ""):
            continue
        href = posixpath.normpath(posixpath.join(base, item.get("href", "")))
        try:
            parts.append(xhtml_to_text(archive.read(href).decode("utf-8", errors="replace")))
        except KeyError:
            continue  # a spine entry the archive lacks: skip it rather than lose the book
    text = "\n\n".join(part for part in parts if part.strip())
    if not text.strip():
        raise BotsmithError(f"{name}: the EPUB holds no text")
    return EpubBook(text, _metadata(opf))


def _rootfile(archive: zipfile.ZipFile) -> str:
    container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
    return next(container.iterfind(".//c:rootfile", _NS)).get("full-path", "")


def _metadata(opf: ElementTree.Element) -> dict[str, str]:
    meta = {}
    for key, tag in (("title", "title"), ("author", "creator"), ("language", "language")):
        element = opf.find(f"opf:metadata/dc:{tag}", _NS)
        if element is not None and element.text and element.text.strip():
            meta[key] = " ".join(element.text.split())
    return meta


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.heading = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS or tag in _HEADING_TAGS or tag in _MINOR_HEADINGS:
            self.flush()
            self.heading = tag in _HEADING_TAGS
        elif tag == "br":
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS or tag in _HEADING_TAGS or tag in _MINOR_HEADINGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.paragraphs.append(f"## {text}" if self.heading else text)
        self.current, self.heading = [], False


def xhtml_to_text(markup: str) -> str:
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return "\n\n".join(parser.paragraphs)
