"""Local files into a bot: .txt, .md, .epub and folders; bad files fail alone."""

from __future__ import annotations

import io
import zipfile

from botsmith.sources import add_files
from botsmith.sources.cleaned import load_clean_source
from botsmith.sources.epub import read_epub
from botsmith.sources.files import markdown_to_text

STORY = ("Chapter 1\n\nThe rain had stopped by the time the coach reached the inn, and the\n"
         "travellers climbed down stiffly into the yard.\n")


def quiet(line: str) -> None:
    pass


def make_epub(chapters: list[tuple[str, str]], title: str = "The Old Inn", author: str = "Old Writer") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", (
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>"))
        items = "".join(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
                        for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        archive.writestr("OEBPS/content.opf", (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
            f"<dc:creator>{author}</dc:creator><dc:language>en</dc:language></metadata>"
            f"<manifest>{items}</manifest><spine>{spine}</spine></package>"))
        for i, (heading, body) in enumerate(chapters):
            archive.writestr(f"OEBPS/c{i}.xhtml", (
                f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title><style>p{{}}</style></head>'
                f"<body><h2>{heading}</h2>{body}</body></html>"))
    return buffer.getvalue()


def test_add_text_markdown_and_folder(bot, tmp_path):
    texts = tmp_path / "texts"
    (texts / "more").mkdir(parents=True)
    (texts / "inn.txt").write_text(STORY)
    (texts / "more" / "notes.md").write_text(
        "---\ntitle: Notes\n---\n# The Garden\n\nSome **bold** and *quiet* words with a [link](http://x.y).\n")
    (texts / "more" / "picture.png").write_bytes(b"\x89PNG....")  # not a text suffix: ignored in folders
    report = add_files(bot, [texts], log=quiet)
    assert report.ok and sorted(a.id for a in report.added) == ["file-inn", "file-notes"]
    inn = load_clean_source(bot / "data/clean/file-inn.json")
    assert inn.text == ("Chapter 1\n\nThe rain had stopped by the time the coach reached the inn, and the "
                        "travellers climbed down stiffly into the yard.\n")
    assert inn.meta["source"] == "files" and inn.meta["title"] == "inn"
    assert (bot / "data/raw/file-inn.txt").read_text() == STORY
    notes = load_clean_source(bot / "data/clean/file-notes.json")
    assert notes.text == "The Garden\n\nSome bold and quiet words with a link.\n"
    assert notes.chapters[0].title == "The Garden"


def test_epub_is_read_in_spine_order(bot, tmp_path):
    path = tmp_path / "inn.epub"
    path.write_bytes(make_epub([("CHAPTER I", "<p>The rain had stopped.</p><p>The landlord met them.</p>"),
                                ("CHAPTER II", "<p>Supper was late &amp; cold.</p>")]))
    report = add_files(bot, [path], log=quiet)
    assert report.ok
    source = load_clean_source(bot / "data/clean/file-inn.json")
    assert source.text == ("CHAPTER I\n\nThe rain had stopped.\n\nThe landlord met them.\n\nCHAPTER II\n\n"
                           "Supper was late & cold.\n")
    assert [c.title for c in source.chapters] == ["CHAPTER I", "CHAPTER II"]
    assert source.meta["title"] == "The Old Inn" and source.meta["author"] == "Old Writer"
    assert (bot / "data/raw/file-inn.epub").read_bytes() == path.read_bytes()


def test_bad_files_fail_alone(bot, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(STORY)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    binary = tmp_path / "data.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"PK\x03\x04 not really")
    report = add_files(bot, [empty, binary, good, tmp_path / "missing.txt", broken], log=quiet)
    assert [a.id for a in report.added] == ["file-good"]
    messages = dict(report.failed)
    assert "empty" in messages[str(empty)] and "binary" in messages[str(binary)]
    assert "no such file" in messages[str(tmp_path / "missing.txt")]
    assert "not a readable EPUB" in messages[str(broken)]
    assert sorted(p.name for p in (bot / "data/raw").iterdir()) == ["file-good.txt"]


def test_same_name_from_two_folders_gets_distinct_ids(bot, tmp_path):
    for folder, words in (("a", "first"), ("b", "second")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(f"The {words} story, told once and for all.\n")
    report = add_files(bot, [tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt"], log=quiet)
    ids = [a.id for a in report.added]
    assert ids[0] == "file-story" and ids[1].startswith("file-story-") and len(ids) == 2
    again = add_files(bot, [tmp_path / "a" / "story.txt"], log=quiet)
    assert again.skipped == [str(tmp_path / "a" / "story.txt")]


def test_markdown_keeps_line_numbers():
    text = "---\na: b\n---\nline four\n```\ncode\n```\n"
    assert markdown_to_text(text).splitlines() == ["", "", "", "line four", "", "code", ""]


def test_read_epub_metadata():
    book = read_epub(make_epub([("One", "<p>Hello <i>there</i>.</p><script>x()</script>")]))
    assert book.text == "## One\n\nHello there."
    assert book.meta == {"title": "The Old Inn", "author": "Old Writer", "language": "en"}
