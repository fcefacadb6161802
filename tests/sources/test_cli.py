"""The CLI: gutenberg search, add gutenberg|files, clean; errors are one line, exit non-zero."""

from __future__ import annotations

import json

import pytest

from botsmith.cli import main


def run(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as done:
        code = done.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_search_lists_books(local_gutenberg, capsys):
    code, out, err = run(["gutenberg", "search", "--author", "Austen", "--language", "en"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["105", "158", "1342"]
    assert "Pride and Prejudice" in lines[2] and "Austen, Jane" in lines[2] and lines[2].rstrip().endswith("en")
    assert "3 books found" in err


def test_search_needs_a_criterion(local_gutenberg, capsys):
    code, _, err = run(["gutenberg", "search"], capsys)
    assert code == 1 and "give --author, --title or --language" in err


def test_add_gutenberg_reports_failures_and_keeps_the_rest(local_gutenberg, bot, capsys):
    code, out, err = run(["add", "gutenberg", "1342", "999", "--bot", str(bot)], capsys)
    assert code == 1
    assert "pg1342: Pride and Prejudice by Jane Austen" in out
    assert "1 added, 1 failed." in err and "botsmith: error: pg999: no such book" in err
    assert "Traceback" not in err
    assert (bot / "data/clean/pg1342.json").exists()


def test_add_gutenberg_by_author_with_mirror_flag(local_gutenberg, bot, capsys, monkeypatch):
    monkeypatch.delenv("BOTSMITH_GUTENBERG_MIRROR")
    code, out, _ = run(["add", "gutenberg", "--author", "Carroll", "--limit", "1", "--mirror", local_gutenberg.url,
                        "--bot", str(bot)], capsys)
    assert code == 0 and "pg11: Alice's Adventures in Wonderland by Lewis Carroll" in out


def test_add_files_outside_a_bot_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(["add", "files", str(tmp_path), "--bot", str(tmp_path / "nobot")], capsys)
    assert code == 2 and "botsmith.toml: no such file" in err


@pytest.mark.parametrize("argv", [["add", "files", "{bot}", "{story}"], ["add", "gutenberg", "{bot}", "1342"],
                                  ["chats", "add", "{bot}", "{story}"]])
def test_a_bot_given_as_the_thing_to_add_says_to_use_bot(argv, bot, tmp_path, capsys, monkeypatch):
    story = tmp_path / "story.txt"
    story.write_text("The first and only paragraph of the story.\n")
    monkeypatch.chdir(tmp_path)  # not a bot: without the check, the error would name the wrong folder's botsmith.toml
    command = " ".join(["botsmith", *argv[:2]])
    code, _, err = run([arg.format(bot=bot, story=story) for arg in argv], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"{bot} is a bot folder, not something to add (name the bot with --bot: {command} --bot {bot} ...)" in err
    assert not list((bot / "data").rglob("story*"))


def test_add_files(bot, tmp_path, capsys):
    story = tmp_path / "story.txt"
    story.write_text("The first and only paragraph of the story.\n")
    code, out, err = run(["add", "files", str(story), "--bot", str(bot)], capsys)
    assert code == 0 and "file-story" in out and "1 added." in err


def test_clean_prints_and_writes(tmp_path, capsys):
    source = tmp_path / "book.txt"
    source.write_text("[Illustration: a cat]\n\nCHAPTER I.\n\nThe cat sat on the\nmat, and was content.\n")
    code, out, err = run(["clean", str(source)], capsys)
    assert code == 0
    assert out == "CHAPTER I.\n\nThe cat sat on the mat, and was content.\n"
    assert "lines 1-1" not in err and "1 illustration blocks" in err
    target = tmp_path / "out" / "book.clean.txt"
    code, out, err = run(["clean", str(source), "-o", str(target)], capsys)
    assert code == 0 and out == ""
    assert target.read_text() == "CHAPTER I.\n\nThe cat sat on the mat, and was content.\n"
    manifest = json.loads((tmp_path / "out" / "book.clean.txt.json").read_text())
    assert manifest["removed"][0]["what"] == "illustration"
    assert manifest["chapters"][0]["title"] == "CHAPTER I."


@pytest.mark.parametrize("content, words", [(b"", "empty"), (b"%PDF-1.4 xx", "PDF")])
def test_clean_bad_file(tmp_path, capsys, content, words):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, _, err = run(["clean", str(path)], capsys)
    assert code == 1 and f"bad.txt" in err and words in err and "Traceback" not in err


def test_add_group_is_exposed_for_other_stages():
    from botsmith.cli.sources import add_group

    names = {command.name for command in add_group.registered_commands}
    assert {"gutenberg", "files"} <= names
