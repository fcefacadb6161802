"""Bots with cleaned sources written in the test, on the tiny Llama's tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest
from dataset_samples import NOVEL, STORY_CHAPTERS, chaptered

from botsmith.bot_folder import new_bot
from botsmith.sources.cleaned import CleanSource, save_clean_source


@pytest.fixture
def make_bot(tmp_path, tiny_llama):
    def make(mode: str = "completion", sources: list[CleanSource] = (), name: str = "bot") -> Path:
        folder = new_bot(tmp_path / name, mode=mode, base_model=str(tiny_llama))
        for source in sources:
            save_clean_source(folder.clean_dir, source)
        return folder.root

    return make


@pytest.fixture
def story_bot(make_bot):
    stories = [chaptered("file-keeper", STORY_CHAPTERS, "The Keeper"),
               chaptered("file-harbour", [NOVEL, NOVEL.replace("Ada", "Bea").replace("Tom", "Kit")], "Harbour")]
    return make_bot("completion", stories)
