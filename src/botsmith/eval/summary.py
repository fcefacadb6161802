"""A report's numbers as rows and one line: what the terminal, report.html and model cards show."""

from __future__ import annotations

from typing import Any

from botsmith.eval import markers, paired
from botsmith.eval.stylometry import MIN_DELTA_WORDS

Row = tuple[str, str, str, str]  # measure, before, after, real text


def _number(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _of(count: Any, total: Any) -> str:
    return "-" if count is None or not total else f"{count}/{total}"


def rows(report: dict[str, Any]) -> list[Row]:
    """The summary table: one row per measure, with the model compared against, this checkpoint, and the real text."""
    ppl, scores = report["perplexity"], report["scores"]
    before, after, real = scores["before"], scores["after"], scores.get("real", {})
    table: list[Row] = [("held-out perplexity", _number(ppl["before"]["perplexity"], 1),
                         _number(ppl["after"]["perplexity"], 1), "")]
    if report["mode"] == "completion":
        for n in (1, 2, 3):
            key = f"distinct_{n}"
            table.append((f"distinct-{n} per continuation", _number(before.get(key), 3), _number(after.get(key), 3),
                          _number(real.get(key), 3)))
    else:
        table.append(("persona leaks (AI/assistant/model)", _of(before["persona_leaks"], before["replies"]),
                      _of(after["persona_leaks"], after["replies"]), ""))
        if "identity" in after:
            table.append((f"answers as {report['character'] or 'itself'}", _of(before["identity"], before["identity_probes"]),
                          _of(after["identity"], after["identity_probes"]), ""))
        if "denies_ai" in after:
            table.append(("asked if it is an AI, says no or who it is", _of(before.get("denies_ai"), before.get("persona_probes")),
                          _of(after["denies_ai"], after["persona_probes"]), ""))
        table.append(("replies that end on their own", _percent(before.get("ended_on_their_own")),
                      _percent(after.get("ended_on_their_own")), ""))
    table.append((f"Burrows' Delta to {_target(report)} "
                  f"({_delta_sample(scores.get('delta_words', 0), real.get('held_out_words'))})",
                  _number(before.get("delta")), _number(after.get("delta")), _number(real.get("delta"))))
    if scores.get("delta_change_p") is not None:
        table.append(("change in Delta beyond chance? (paired permutation test)", "", delta_change(scores), ""))
    table.append(("mean words per reply", _number(before.get("mean_words"), 1), _number(after.get("mean_words"), 1),
                  _number(real.get("mean_words"), 1)))
    for key, values in scores.get("markers", {}).items():
        table.append((f"{markers.label(key)} ({_p_verdict(values['p'], markers.verdict(values))})",
                      *(_number(values[side], markers.digits(key)) for side in ("before", "after", "real"))))
    return table


def _p_verdict(p_value: float | None, verdict: str) -> str:
    return verdict if p_value is None else f"p = {p_value:.2g}: {verdict}"


def marker_moves(scores: dict[str, Any]) -> tuple[int, int, int] | None:
    """(markers nearer the real text beyond chance, further beyond chance, markers measured); None: none measured."""
    found = scores.get("markers", {})
    if not found:
        return None
    verdicts = [markers.verdict(values) for values in found.values()]
    return verdicts.count("closer"), verdicts.count("further"), len(found)


def markers_line(scores: dict[str, Any]) -> str | None:
    """`style markers nearer the real text 3/8, further 1/8`: the markers that moved beyond chance."""
    moves = marker_moves(scores)
    if moves is None:
        return None
    nearer, further, total = moves
    return f"style markers nearer the real text {nearer}/{total}, further {further}/{total}"


def delta_change(scores: dict[str, Any]) -> str:
    """`p = 0.03: closer`: the permutation test of the change in Delta, and what it says at the 5 % level."""
    p_value, change = scores["delta_change_p"], scores["after"]["delta"] - scores["before"]["delta"]
    return _p_verdict(p_value, paired.verdict(p_value, change < 0))


def _delta_sample(size: int, real_words: int | None) -> str:
    if size == 0:
        return "too little text to measure it"
    if size < MIN_DELTA_WORDS:
        return f"needs {MIN_DELTA_WORDS}+ words of replies, had {size}: raise --probes"
    if few := _few_real_words(real_words):
        return f"{size}-word samples against {few}; lower: closer"
    return f"{size}-word samples; lower: closer"


def _few_real_words(real_words: int | None) -> str | None:
    """What to say when the held-out lines Delta compares with are too few to rely on (None: enough). Delta is a
    distance between two texts' word frequencies, so a short target is as noisy as a short sample: the threshold
    replies must reach."""
    if real_words is None or real_words >= MIN_DELTA_WORDS:
        return None
    return f"only {real_words} held-out words to compare with: too few to rely on"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _target(report: dict[str, Any]) -> str:
    if report["mode"] == "completion":
        return "the held-out text"
    return f"{report['character']}'s real lines" if report.get("character") else "the real lines"


def line(report: dict[str, Any]) -> str:
    """`held-out perplexity 31.2 -> 22.8; persona leaks 0/12; Delta to Elizabeth 1.31 -> 0.94`"""
    ppl, scores = report["perplexity"], report["scores"]
    before, after = scores["before"], scores["after"]
    parts = [f"held-out perplexity {ppl['before']['perplexity']:.1f} -> {ppl['after']['perplexity']:.1f}"]
    if report["mode"] != "completion":
        parts.append(f"persona leaks {_of(before['persona_leaks'], before['replies'])} -> "
                     f"{_of(after['persona_leaks'], after['replies'])}")
        if "identity" in after:
            parts.append(f"answers as {report['character'] or 'itself'} {_of(before['identity'], before['identity_probes'])}"
                         f" -> {_of(after['identity'], after['identity_probes'])}")
        if "denies_ai" in after:
            parts.append(f"asked if it is an AI, says no {_of(before.get('denies_ai'), before.get('persona_probes'))}"
                         f" -> {_of(after['denies_ai'], after['persona_probes'])}")
    else:
        parts.append(f"distinct-2 {_number(before.get('distinct_2'), 3)} -> {_number(after.get('distinct_2'), 3)}")
    if after.get("delta") is not None:
        who = report.get("character") or ("the text" if report["mode"] == "completion" else "the real lines")
        notes = [delta_change(scores)] if scores.get("delta_change_p") is not None else []
        if few := _few_real_words(scores.get("real", {}).get("held_out_words")):
            notes.append(few)
        change = f" ({'; '.join(notes)})" if notes else ""
        parts.append(f"Delta to {who} {_number(before.get('delta'))} -> {_number(after.get('delta'))}{change}")
    moved = markers_line(scores)
    if moved:
        parts.append(moved)
    return "; ".join(parts)


MEASURED_IDENTITY_EXAMPLES = 288  # the most identity examples measured to help in character (docs/train.md)


def advice(report: dict[str, Any], bot: str = "BOT") -> list[str]:
    """What to try next where the bot falls short in character: measured remedies only (docs/train.md)."""
    after = report["scores"]["after"]
    if report["mode"] == "completion":
        return []
    tips = []
    who = report.get("character") or "itself"
    asked = after.get("persona_probes")
    if after.get("persona_leaks") or (asked and 2 * after.get("denies_ai", 0) < asked):
        what = (f"{after['persona_leaks']} of {after['replies']} replies still talk like software" if after.get("persona_leaks")
                else f"asked if it is an AI, it says no or who it is in only {_of(after.get('denies_ai'), asked)}")
        if report.get("identity_examples", 0) < MEASURED_IDENTITY_EXAMPLES:
            tips.append(f"{what}: raise [dataset] identity_examples, then botsmith build and train again "
                        f"(docs/train.md).")
        elif report.get("identity_rejected") == 0:  # a dataset built before identity examples rejected the persona
            tips.append(f"{what}: botsmith build and train again: identity examples built since 7 Dec reject the "
                        f"base model's persona, which took the leaks from 6-14 % to 0-2 % (docs/train.md, "
                        f"'Rejected replies').")
        else:  # more was measured not to help: on P&P 432 did no better than 288 (docs/train.md)
            tips.append(f"{what}, with {report['identity_examples']} identity examples: more did not help when "
                        f"measured (docs/train.md, 'Asked 150 times'), and a few such replies come and go with the "
                        f"draw of samples: see another with botsmith eval {bot} --seed 99.")
    method = report["checkpoint"].get("method")
    if after.get("identity_probes") and 2 * after["identity"] < after["identity_probes"] and method in ("lora", "qlora"):
        tips.append(f"It answers as {who} in {_of(after['identity'], after['identity_probes'])}: on a small base, "
                    f"training every weight keeps the name far better (SmolLM2-135M's Hamlet: 0/12 with LoRA, 7/12 fully "
                    f"fine-tuned): botsmith train {bot} --method full --lr 1e-4 (docs/train.md, 'Full fine-tuning').")
    return tips


def sampling_text(report: dict[str, Any]) -> str | None:
    """How both models' replies were sampled (`temperature 0.7, top_p 0.9, ...; seed 1234`): Delta and the persona
    answers move with it. None for a report from before eval recorded it."""
    sampling = report.get("sampling")
    if not sampling:
        return None
    off = {"top_p": 1.0, "top_k": 0, "min_p": 0.0, "epsilon_cutoff": 0.0, "repetition_penalty": 1.0}
    shown = [f"{'repetition penalty' if name == 'repetition_penalty' else name} {value:g}"
             for name, value in sampling.items() if off.get(name) != value]
    seed = f"; seed {report['seed']}" if report.get("seed") is not None else ""
    return f"replies sampled with {', '.join(shown)}{seed}"


def table_text(report: dict[str, Any]) -> str:
    """The summary table for a terminal, and how the replies were sampled."""
    header = ("measure", report["labels"]["before"], report["labels"]["after"], "real")
    body = rows(report)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
    render = lambda row: "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)  # noqa: E731
                                   for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
    lines = [render(header), render(tuple("-" * w for w in widths)), *(render(row) for row in body)]
    if sampled := sampling_text(report):
        lines.append(f"({sampled})")
    return "\n".join(lines)
