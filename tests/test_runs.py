"""Finding a run's checkpoint by name or by folder, from wherever the command runs."""

from __future__ import annotations

import pytest

from botsmith.errors import BotsmithError
from botsmith.runs import resolve_checkpoint


@pytest.fixture
def runs_dir(tmp_path):
    runs = tmp_path / "austen" / "runs"
    for run_id, names in (("20261205-100000", ("best", "final")), ("20261206-100000", ("final",))):
        for name in names:
            (runs / run_id / name).mkdir(parents=True)
    return runs


def test_names_pick_the_newest_run_that_has_the_checkpoint(runs_dir):
    assert resolve_checkpoint(runs_dir, "final") == runs_dir / "20261206-100000" / "final"
    assert resolve_checkpoint(runs_dir, "best") == runs_dir / "20261205-100000" / "best"


def test_a_folder_inside_the_bot_works_from_any_directory(runs_dir, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert resolve_checkpoint(runs_dir, "runs/20261205-100000/best") == runs_dir / "20261205-100000" / "best"
    assert resolve_checkpoint(runs_dir, str(runs_dir / "20261206-100000" / "final")).name == "final"


def test_a_run_means_its_best_checkpoint(runs_dir):
    assert resolve_checkpoint(runs_dir, "runs/20261205-100000") == runs_dir / "20261205-100000" / "best"
    assert resolve_checkpoint(runs_dir, "20261205-100000") == runs_dir / "20261205-100000" / "best"
    with pytest.raises(BotsmithError, match="run 20261206-100000 has no best checkpoint yet"):
        resolve_checkpoint(runs_dir, "20261206-100000")


def test_an_unknown_checkpoint_says_what_to_give(runs_dir):
    with pytest.raises(BotsmithError, match="neither best, final, last nor a folder") as error:
        resolve_checkpoint(runs_dir, "runs/20261207-000000/best")
    assert "runs/<run id>/best" in error.value.hint
