"""The README's quickstart, run command by command, so the README cannot drift.

Each `botsmith ...` line of the Quickstart block runs as written, in a fresh folder,
against a local Gutenberg (127.0.0.1) serving two chapters of Pride and Prejudice.
The only additions are the test settings in EXTRA_FLAGS (a tiny base model, two
training steps): a README command that this table does not know fails the test,
so a new or renamed command must be looked at here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
CHAPTERS = Path(__file__).parent / "extract" / "fixtures" / "dialogue"

CATALOG = """Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves
1342,Text,1998-06-01,Pride and Prejudice,en,"Austen, Jane, 1775-1817",,PR,
158,Text,1994-02-01,Emma,en,"Austen, Jane, 1775-1817",,PR,
"""


def extra_flags(tiny_llama: Path) -> dict[str, list[str]]:
    return {
        "new": ["--base-model", str(tiny_llama)],
        "gutenberg": [], "add": [], "build": [], "inspect": [],
        "train": ["--max-steps", "2", "--batch-size", "2"],
        "chat": ["--max-new-tokens", "8"],
        "eval": ["--probes", "1", "--max-new-tokens", "4"],
        "export": [],
    }


def quickstart_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Quickstart\n.*?```bash\n(.*?)```", text, re.S)
    assert block, "README has no Quickstart bash block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def book(number: int, title: str, chapter_files: list[str]) -> bytes:
    body = "\n\n".join((CHAPTERS / name).read_text(encoding="utf-8") for name in chapter_files)
    return (f"The Project Gutenberg eBook of {title}\n\nTitle: {title}\n\nAuthor: Jane Austen\n\n"
            f"Language: English\n\n*** START OF THE PROJECT GUTENBERG EBOOK {title.upper()} ***\n\n\n"
            f"{body}\n\n\n*** END OF THE PROJECT GUTENBERG EBOOK {title.upper()} ***\n").encode()


@pytest.fixture
def gutenberg():
    chapters = ["pride_ch1_curly.txt", "pride_ch2_curly.txt"]
    routes = {
        "/cache/epub/feeds/pg_catalog.csv": CATALOG.encode(),
        "/cache/epub/1342/pg1342.txt": book(1342, "Pride and Prejudice", chapters),
        "/cache/epub/158/pg158.txt": book(158, "Emma", chapters[::-1]),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = routes.get(self.path)
            if body is None:
                return self.send_error(404)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_readme_quickstart_runs(tmp_path, tiny_llama, gutenberg):
    flags = extra_flags(tiny_llama)
    env = {**os.environ, "BOTSMITH_GUTENBERG_MIRROR": gutenberg}
    cwd, ran = tmp_path, []
    for line in quickstart_lines():
        words = shlex.split(line)
        if words[0] == "source":
            continue
        if words[0] == "cd":
            cwd = cwd / words[1]
            continue
        if words[0] == "ollama":  # not installed here: check the file it would read instead
            modelfile = re.search(r"-f (\S+)", line).group(1)
            assert (cwd / modelfile).is_file(), f"README's ollama line needs {modelfile}"
            assert "FROM " in (cwd / modelfile).read_text()
            continue
        assert words[0] == "botsmith", f"unexpected README command: {line}"
        command = words[1]
        assert command in flags, f"README runs 'botsmith {command}': add it to extra_flags in this test"
        result = subprocess.run([sys.executable, "-m", "botsmith", *words[1:], *flags[command]],
                                cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"README line failed: {line}\n{result.stderr[-2000:]}"
        ran.append(command)
    assert {"new", "add", "build", "train", "chat", "export"} <= set(ran)
