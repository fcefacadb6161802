"""`botsmith eval` on a tiny bot trained for real: the report, its numbers, bad input, the page in Chromium."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from botsmith.errors import BotsmithError
from botsmith.eval.fidelity import IDENTITY_PROBES, PERSONA_PROBES
from botsmith.eval.probes import IDENTITY_SEEDS
from botsmith.eval import evaluate
from tests.eval.conftest import quick


def metrics(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]


def only_run(bot: Path) -> Path:
    (run,) = [path for path in (bot / "runs").iterdir() if path.is_dir()]
    return run


def test_report_compares_the_checkpoint_with_its_base(trained_bot):
    report = evaluate(trained_bot, **quick())
    run = only_run(trained_bot)
    assert report.path == run / "eval"
    assert {path.name for path in report.path.iterdir()} == {"report.json", "report.html"}
    data = json.loads((report.path / "report.json").read_text())
    assert data == json.loads(json.dumps(report.data))
    # held-out perplexity is exp of the loss training logged: the base's at step 0, the best checkpoint's at its step
    rows = metrics(run)
    base_loss = next(row["val_loss"] for row in rows if row["step"] == 0)
    best_loss = min(row["val_loss"] for row in rows if "val_loss" in row and row["step"] > 0)
    assert math.log(data["perplexity"]["before"]["perplexity"]) == pytest.approx(base_loss, abs=0.02)
    assert math.log(data["perplexity"]["after"]["perplexity"]) == pytest.approx(best_loss, abs=0.02)
    assert data["perplexity"]["after"]["perplexity"] < data["perplexity"]["before"]["perplexity"]
    # three identity questions, each sampled with IDENTITY_SEEDS seeds and answered greedily once; two held-out
    # probes sampled as chat samples; then the three persona questions as the identity ones
    n = IDENTITY_SEEDS
    assert [probe["kind"] for probe in data["probes"]] == ["identity"] * 3 * n + ["heldout"] * 2 + ["persona"] * 3 * n
    assert [probe["prompt"] for probe in data["probes"][:3 * n]] == [q for q in IDENTITY_PROBES for _ in range(n)]
    assert [probe["prompt"] for probe in data["probes"][3 * n + 2:]] == [q for q in PERSONA_PROBES for _ in range(n)]
    for index, probe in enumerate(data["probes"]):
        first_of_group = 0 if probe["kind"] == "identity" else 3 * n + 2
        for role in ("before", "after"):
            greedy_too = probe["kind"] != "heldout" and (index - first_of_group) % n == 0
            assert set(probe["replies"][role]) == ({"greedy", "sampled"} if greedy_too else {"sampled"})
    samples = {probe["replies"]["after"]["sampled"]["text"] for probe in data["probes"][:n]}
    assert len(samples) > 1  # each seed its own sample
    assert all(probe["reference"] for probe in data["probes"] if probe["kind"] == "heldout")
    after, asked = data["scores"]["after"], 3 * (n + 1)  # each question: n samples and the greedy reply
    assert after["replies"] == 2 * asked + 2 and after["identity_probes"] == asked
    assert 0 <= after["persona_leaks"] <= after["replies"]
    assert after["persona_probes"] == asked and 0 <= after["denies_ai"] <= asked
    assert "asked if it is an AI, says no or who it is" in report.table()
    # a few words of replies: too few for Delta to mean anything, so it is not given
    assert after["delta"] is None and data["scores"]["delta_words"] < 500 and "Delta" not in data["summary"]
    for values in data["scores"]["markers"].values():  # style markers: each with both models' rates, the real one, p
        assert set(values) == {"before", "after", "real", "p"} and 0 < values["p"] <= 1
    assert data["system_prompt"] == "You are Ada." and data["character"] == "Ada"
    assert data["summary"].startswith("held-out perplexity ") and " -> " in data["summary"]
    assert "held-out perplexity" in report.table() and "base model" in report.table()


def test_no_held_out_probes_asks_the_questions_about_itself_only(trained_bot):
    report = evaluate(trained_bot, **quick(probes=0))
    data = report.data
    assert "answers as Ada" in report.table()
    assert {probe["kind"] for probe in data["probes"]} == {"identity", "persona"}
    after = data["scores"]["after"]
    assert after["identity_probes"] == 3 * (IDENTITY_SEEDS + 1) and after["delta"] is None
    assert data["perplexity"]["after"]["perplexity"] > 0 and data["summary"].startswith("held-out perplexity ")


def test_the_same_eval_gives_the_same_report(trained_bot):
    first = evaluate(trained_bot, **quick(probes=1))
    second = evaluate(trained_bot, **quick(probes=1))
    strip = lambda data: {k: v for k, v in data.items() if k not in ("created", "seconds")}  # noqa: E731
    assert strip(first.data) == strip(second.data)  # greedy and seeded samples: reproducible


def test_eval_never_writes_into_a_checkpoint_and_a_failed_eval_leaves_the_old_report(trained_bot, monkeypatch):
    run = only_run(trained_bot)
    digest = lambda: {p.name: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
                      for p in sorted((run / "best").iterdir())}
    before = digest()
    evaluate(trained_bot, **quick(probes=1))
    assert digest() == before
    old = (run / "eval" / "report.json").read_bytes()

    import botsmith.eval.page as page

    def broken(*args, **kwargs):
        raise KeyboardInterrupt  # as if cut off while writing

    monkeypatch.setattr(page, "render", broken)
    with pytest.raises(KeyboardInterrupt):
        evaluate(trained_bot, **quick(probes=1))
    assert (run / "eval" / "report.json").read_bytes() == old
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []


def test_bad_input_is_one_line(trained_bot, tmp_path, tiny_llama):
    from botsmith.bot_folder import new_bot

    with pytest.raises(BotsmithError, match="checkpoint 'nope' is neither"):
        evaluate(trained_bot, checkpoint="nope", **quick())
    with pytest.raises(BotsmithError, match="--against elsewhere"):
        evaluate(trained_bot, against="elsewhere", **quick())
    with pytest.raises(BotsmithError, match="is the checkpoint being evaluated"):  # its own run id means its best/
        evaluate(trained_bot, against=only_run(trained_bot).name, **quick())
    empty = new_bot(tmp_path / "empty", mode="chat", base_model=str(tiny_llama)).root
    with pytest.raises(BotsmithError, match="no 'best' checkpoint"):
        evaluate(empty, **quick())


def test_no_validation_split_and_a_run_in_progress_are_refused(tmp_path, trained_bot):
    import shutil

    bot = tmp_path / "copy"
    shutil.copytree(trained_bot, bot)
    run = only_run(bot)
    summary = json.loads((run / "summary.json").read_text())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running", "pid": os.getpid()}))
    with pytest.raises(BotsmithError, match="still training"):
        evaluate(bot, **quick())
    (run / "summary.json").write_text(json.dumps({**summary, "status": "running", "pid": 2 ** 22 + 12345}))
    evaluate(bot, **quick(probes=1))  # that process is gone: the run is not training any more
    (bot / "data" / "dataset" / "validation.jsonl").write_text("")
    with pytest.raises(BotsmithError, match="no validation examples.*validation_fraction"):
        evaluate(bot, **quick())


def test_cli_prints_the_table_and_compares_runs(trained_bot):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    args = ["--probes", "1", "--max-new-tokens", "4", "--no-sampled"]
    done = subprocess.run([sys.executable, "-m", "botsmith", "eval", str(trained_bot), *args],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "held-out perplexity" in done.stdout and "report.html" in done.stdout
    identity = next(line for line in done.stdout.splitlines() if line.startswith("answers as"))
    assert identity.split()[-1].endswith("/3")  # greedy only: each question once, since greedy would repeat itself
    assert "--method full" not in done.stdout  # this bot trained every weight already: no advice to do so
    run = only_run(trained_bot).name
    done = subprocess.run([sys.executable, "-m", "botsmith", "eval", str(trained_bot), "--runs", run, *args],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split()[:3] == ["run", "steps", "val"] and run in done.stdout
    done = subprocess.run([sys.executable, "-m", "botsmith", "eval", str(trained_bot), "--checkpoint", "nope"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_sampling_flags_replace_the_bots_generate_settings_for_both_models(trained_bot):
    from botsmith.eval.summary import table_text

    config = (trained_bot / "botsmith.toml").read_bytes()
    sampled = lambda report, who: [probe["replies"][who]["sampled"]["text"] for probe in report.data["probes"]]  # noqa: E731
    default = evaluate(trained_bot, **quick(probes=1))
    assert default.data["sampling"]["temperature"] == 0.7  # the bot's [generate]
    hot = evaluate(trained_bot, **quick(probes=1, sampling={"temperature": 1.5, "top_k": 0, "top_p": None}))
    assert hot.data["sampling"] == {**default.data["sampling"], "temperature": 1.5, "top_k": 0}
    for who in ("after", "before"):  # both models sample as asked
        assert sampled(hot, who) != sampled(default, who)
    assert sampled(evaluate(trained_bot, **quick(probes=1, sampling={"temperature": 0.7})), "after") == sampled(default, "after")
    assert "(replies sampled with temperature 1.5, top_p 0.9, repetition penalty 1.1; seed" in table_text(hot.data)
    assert (trained_bot / "botsmith.toml").read_bytes() == config  # an eval's flags are not saved
    with pytest.raises(BotsmithError, match="temperature"):
        evaluate(trained_bot, **quick(sampling={"temperature": -1.0}))
    assert "sampling" not in evaluate(trained_bot, **quick(probes=1, sampled=False)).data  # greedy replies only

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    args = [sys.executable, "-m", "botsmith", "eval", str(trained_bot), "--probes", "1", "--max-new-tokens", "4"]
    done = subprocess.run([*args, "--temperature", "1.5"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "(replies sampled with temperature 1.5," in done.stdout
    done = subprocess.run([*args, "--top-p", "0"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0 and "top_p" in done.stderr and "Traceback" not in done.stderr


def test_persona_bench_counts_what_its_replies_show(trained_bot):
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, str(root / "bench" / "persona.py"), str(trained_bot), "--samples", "2",
                           "--show"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root / "src")})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    shown = [line for line in lines if " | " in line]
    assert len(shown) == 8 * 2 and {line.split()[0] for line in shown} <= {"LEAK", "ok", "-"}
    asked = [line for line in shown if line.split(" | ")[0].split(maxsplit=1)[1] in PERSONA_PROBES]
    assert len(asked) == 6  # eval's three persona questions, twice each
    total = next(line for line in lines if line.startswith("eval's persona questions:"))
    leaked = sum(line.startswith("LEAK") for line in asked)
    kept = sum(line.startswith("ok ") for line in asked)
    assert f"leaks {leaked}/6 " in total and f"in character {kept}/6 " in total


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_report_page_renders_offline_in_chromium(trained_bot):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    report = evaluate(trained_bot, **quick())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((report.path / "report.html").as_uri())
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.alt, e.naturalWidth])")
        assert {alt for alt, _ in images} == {"loss curves", "held-out perplexity", "reply length"}
        assert all(width > 300 for _, width in images)
        assert page.locator("#summary tr").count() == 1 + 7  # header + one row per measure
        assert page.locator("#probes tr.probe").count() == len(report.data["probes"])
        assert page.locator("#summary-line").inner_text() == report.summary_line
        if shots := os.environ.get("BOTSMITH_SCREENSHOTS"):
            page.screenshot(path=f"{shots}/eval-report.png", full_page=True)
        browser.close()
    assert all(url.startswith(("file:", "data:")) for url in requests)  # self-contained: nothing fetched


def test_the_model_card_carries_the_eval_summary(trained_bot, tmp_path):
    from botsmith.export import export_model

    report = evaluate(trained_bot, **quick(probes=1))
    exported = export_model(trained_bot, format="hf", out=tmp_path / "hf", verify=False, log=lambda line: None)
    card = (exported.path / "README.md").read_text()
    assert "## Evaluation" in card and report.summary_line in card
    assert "| held-out perplexity |" in card


def test_training_ends_with_a_quick_eval(tmp_path, tiny_llama):
    from botsmith.dataset.identity import identity_records
    from botsmith.train import train
    from tests.train.conftest import _make_bot

    bot = _make_bot(tmp_path / "bot", tiny_llama, mode="chat", max_steps=2, eval_every=2, eval_at_end=True)
    with (bot.dataset_dir / "train.jsonl").open("a") as train_file:  # as build adds them
        train_file.writelines(json.dumps(record) + "\n" for record in identity_records(["Ana"], None, 5))
    lines: list[str] = []
    result = train(bot.root, log=lines.append)
    verdict = [line for line in lines if line.startswith("eval: ")]
    assert len(verdict) == 1 and "held-out perplexity" in verdict[0] and "persona leaks" in verdict[0]
    report = json.loads((result.run_dir / "eval" / "report.json").read_text())
    assert report["quick"] and report["checkpoint"]["path"] == str(result.best_dir)
    assert all(set(probe["replies"]["after"]) == {"sampled"} for probe in report["probes"] if probe["kind"] == "heldout")
    assert metrics(result.run_dir)[0] == {"step": 0, "val_loss": report["curve"][0]["val_loss"]}
    assert report["identity_examples"] == 5
    # three of the five answers are "I am Ana." (a one-word name is never the whole answer), and each rejects "I am an
    # AI assistant.", "I am a chatbot." and "I am.": three tokens trained against after its "I am"
    assert report["identity_rejected"] == 3
    assert [line for line in lines if line.startswith("data: ") and "9 unwanted: rejected replies" in line], \
        [line for line in lines if line.startswith("data: ")]

    other = _make_bot(tmp_path / "other", tiny_llama, mode="chat", max_steps=2, eval_every=2, eval_at_end=False)
    assert not (train(other.root, log=lambda line: None).run_dir / "eval").exists()


def test_advice_names_measured_remedies_only_where_the_bot_falls_short():
    from botsmith.eval.summary import advice

    def report(method: str, identity: int, leaks: int, mode: str = "dialogue") -> dict:
        after = {"identity": identity, "identity_probes": 12, "persona_leaks": leaks, "replies": 36}
        return {"mode": mode, "character": "Hamlet", "checkpoint": {"method": method}, "scores": {"after": after}}

    assert advice(report("lora", 6, 0)) == []  # half the replies name him: nothing to fix
    (tip,) = advice(report("lora", 2, 0), "hamlet")
    assert "answers as Hamlet in 2/12" in tip and "botsmith train hamlet --method full --lr 1e-4" in tip
    assert advice(report("full", 2, 0)) == []  # already trained every weight
    (tip,) = advice(report("full", 12, 3))
    assert tip.startswith("3 of 36 replies still talk like software") and "identity_examples" in tip
    assert advice(report("lora", 0, 5, mode="completion")) == []
    unasked = report("lora", 12, 0)
    unasked["scores"]["after"].update(persona_probes=12, denies_ai=4)  # says it is one, or nothing about it, 8 times
    (tip,) = advice(unasked)
    assert tip.startswith("asked if it is an AI, it says no or who it is in only 4/12") and "identity_examples" in tip
    # where it already has as many identity examples as were measured to help, more is not the advice
    (tip,) = advice({**report("lora", 12, 2), "identity_examples": 288, "identity_rejected": 176}, "eliz")
    assert "raise" not in tip and "with 288 identity examples" in tip and "botsmith eval eliz --seed 99" in tip
    # built before identity examples rejected the persona: build again
    (tip,) = advice({**report("lora", 12, 2), "identity_examples": 288, "identity_rejected": 0}, "eliz")
    assert "botsmith build and train again" in tip and "Rejected replies" in tip
