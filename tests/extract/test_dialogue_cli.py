"""`botsmith extract dialogue FILE --spans OUT.jsonl`: spans index the file's decoded text exactly."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from botsmith.cli import app

runner = CliRunner()

TEXT = ("CHAPTER I.\r\n\r\n“Yes,” said he, “I will.”\r\n\r\n“Will you, Mr. Dashwood?” replied\r\nElinor.\r\n\r\n"
        "“I will,” he said.\r\n")


def test_spans_file_indexes_the_decoded_text(tmp_path) -> None:
    source = tmp_path / "book.txt"
    source.write_bytes(TEXT.encode("cp1252"))  # Windows-1252, CRLF, as users save books
    out = tmp_path / "spans.jsonl"
    result = runner.invoke(app, ["extract", "dialogue", str(source), "--spans", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == ["Yes,", "I will.", "Will you, Mr. Dashwood?", "I will,"]
    for row in rows:
        assert TEXT[row["start"]:row["end"]] == row["text"]
        assert set(row) == {"start", "end", "text", "turn", "speaker"}
    assert [r["turn"] for r in rows] == [0, 0, 1, 2]
    assert [r["speaker"] for r in rows][2] == "Elinor"
    assert "double-curly quotes, 4 utterances, 3 turns" in result.stderr


def test_without_spans_prints_turns(tmp_path) -> None:
    source = tmp_path / "book.txt"
    source.write_text("'Hello,' said Alice. 'Goodbye.'\n\n'Hello,' said the Hatter.\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", "dialogue", str(source), "--quotes", "single-straight"])
    assert result.exit_code == 0
    assert "Alice: Hello, Goodbye." in result.stdout
    assert "Hatter: Hello," in result.stdout


def test_missing_file_is_one_line_error(tmp_path, capsys) -> None:
    from botsmith.cli import main
    import pytest

    for path, says in ((tmp_path / "nope.txt", "no such file"), (tmp_path, "a folder, not a file")):
        with pytest.raises(SystemExit) as exit_info:
            main(["extract", "dialogue", str(path)])
        assert exit_info.value.code == 1
        assert capsys.readouterr().err.strip() == f"botsmith: error: {path}: {says} (give the path of a plain text file)"
