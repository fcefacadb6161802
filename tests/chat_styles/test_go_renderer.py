"""The test renderer of Ollama templates against Go's own text/template (where Go is installed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from botsmith.chat_format import ChatFormat, turn_text
from botsmith.chat_styles import STYLES
from tests.chat_styles.go_template import render
from tests.chat_styles.test_styles import conversations


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
def test_go_renders_what_the_test_renderer_does(tmp_path):
    cases = []
    for style in STYLES.values():
        template = ChatFormat.from_style(style).ollama_template()
        for messages in conversations(seed=1, count=12):
            cases.append({"template": template,
                          "messages": [{"Role": m["role"], "Content": turn_text(m)} for m in messages]})
    program = Path(__file__).with_name("render_go.go")
    done = subprocess.run(["go", "run", str(program)], input=json.dumps(cases), capture_output=True, text=True,
                          timeout=300, env={**os.environ, "GOCACHE": str(tmp_path / "gocache"),
                                            "GOFLAGS": "-mod=mod", "GO111MODULE": "off"})
    assert done.returncode == 0, done.stderr
    by_go = json.loads(done.stdout)
    for case, rendered in zip(cases, by_go):
        assert render(case["template"], {"Messages": case["messages"]}) == rendered, case
