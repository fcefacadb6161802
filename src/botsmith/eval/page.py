"""report.html: one self-contained page (styles inline, plots as data URIs), readable offline."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from botsmith.eval import summary

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2430;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #dde2ea;padding-bottom:.2rem}
.meta{color:#5b6472}.meta code{background:#f1f3f7;padding:0 .3rem;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.6rem 0}th,td{border:1px solid #dde2ea;padding:.4rem .55rem;vertical-align:top;text-align:left}
th{background:#f4f6fa}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.plots{display:flex;flex-wrap:wrap;gap:1rem}.plots img{max-width:100%;border:1px solid #dde2ea;border-radius:4px}
.probe td{font-size:.92rem}.kind{color:#5b6472;font-size:.8rem;text-transform:uppercase}
mark{background:#ffd7d2;padding:0 .15rem}.real{background:#fff8ec}.cut{color:#9a5b00;font-size:.8rem}
.summary{font-weight:600}footer{margin-top:2rem;color:#5b6472;font-size:.85rem}
"""

NOTES = [
    ("held-out perplexity", "exp of the mean loss per target token on the validation split, computed by training's own "
                            "loss on the same tokens training weights, with the bot's system prompt."),
    ("persona leaks", "replies in which the model calls itself an AI, an assistant, a language model, a chatbot or a robot, "
                      "or names a model family (the base model's included), unless its own clause denies it (I am not "
                      "a robot); every reply counts, the persona questions' included."),
    ("asked if it is an AI", "replies to Are you an AI?, Are you a robot? and Are you a chatbot? (greedy and sampled, as "
                             "the identity questions) that stay in character: they say no, or who the bot is, and "
                             "nowhere call it software. Yes, I am. and I am a brilliant scientist. do not."),
    ("answers as", "identity questions answered by naming oneself (I am, my name is...) with one of the "
                   "character's names, and no leak."),
    ("Burrows' Delta", "mean absolute difference of z-scored frequencies of the 100 most frequent words, replies to "
                       "held-out lines (sampled, as chat samples them) against the real held-out lines, z-scores from "
                       "the training set's lines in 400-word chunks. Delta falls as a text grows, so every sample is "
                       "cut to one length (the shortest model's replies, at most 1000 words) and averaged over its "
                       "chunks; the real-text column is the character's own training lines at that length: what a "
                       "perfect imitation scores. Under 500 words Delta tells voices apart no better than chance, so "
                       "it is not given."),
    ("change in Delta", "a paired permutation test: the two models' replies to each probe are swapped at random "
                        "300 times, and p is the share of swaps that change Delta at least as much as the models "
                        "differ. Under 0.05 these replies differ more than swapping them explains; at a few thousand "
                        "words another draw of replies can still disagree (on P&P, one seed gave 'within the noise' "
                        "and another 'further'), so check a verdict with botsmith eval --seed."),
    ("end on their own", "replies that stopped at the end-of-turn marker rather than at the token limit."),
    ("style markers", "words per sentence, letters per word, and commas, semicolons, dashes, exclamation marks, "
                      "question marks and contractions per 1,000 words: one rate over all of a model's replies to "
                      "held-out lines, beside the real held-out lines' rate; p is the same permutation test, on the "
                      "change in distance to the real rate. Delta counts words only and misses these habits."),
]


def render(report: dict[str, Any], plots: dict[str, bytes]) -> str:
    labels = report["labels"]
    parts = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(report['bot'])}: evaluation"
             f"</title><style>{STYLE}</style></head><body>",
             f"<h1>{_e(report['bot'])}: evaluation</h1>", _meta(report),
             f"<p class=\"summary\" id=\"summary-line\">{_e(report['summary'])}</p>",
             "<h2>Summary</h2>", _summary_table(report),
             "<h2>Plots</h2><div class=\"plots\">",
             *(f"<img alt=\"{_e(name)}\" src=\"data:image/png;base64,{base64.b64encode(data).decode()}\">"
               for name, data in plots.items()),
             "</div>", "<h2>Side by side</h2>", _probes(report, labels), "<h2>How each number is made</h2><ul>",
             *(f"<li><b>{_e(name)}</b>: {_e(text)}</li>" for name, text in NOTES),
             "</ul>", f"<footer>Made by botsmith eval in {report['seconds']:.0f} s.</footer></body></html>"]
    return "\n".join(parts)


def _meta(report: dict[str, Any]) -> str:
    checkpoint = report["checkpoint"]
    items = [f"checkpoint <code>{_e(checkpoint['path'])}</code>"
             + (f" (step {checkpoint['step']})" if checkpoint.get("step") is not None else ""),
             f"compared with {_e(report['labels']['before'])}", f"mode {_e(report['mode'])}",
             f"system prompt <code>{_e(report['system_prompt'] or '(none)')}</code>", _e(report["created"])]
    if report.get("quick"):
        items.append("quick evaluation (fewer probes)")
    if sampled := summary.sampling_text(report):
        items.append(_e(sampled))
    return "<p class=\"meta\">" + " · ".join(items) + "</p>"


def _summary_table(report: dict[str, Any]) -> str:
    labels = report["labels"]
    head = f"<tr><th>measure</th><th>{_e(labels['before'])}</th><th>{_e(labels['after'])}</th><th>real text</th></tr>"
    body = "".join(f"<tr><td>{_e(m)}</td><td class=\"num\">{_e(b)}</td><td class=\"num\">{_e(a)}</td>"
                   f"<td class=\"num\">{_e(r)}</td></tr>" for m, b, a, r in summary.rows(report))
    return f"<table id=\"summary\">{head}{body}</table>"


def _probes(report: dict[str, Any], labels: dict[str, str]) -> str:
    kinds = [how for how in ("sampled", "greedy") if any(how in probe["replies"]["after"] for probe in report["probes"])]
    columns = [(who, how) for how in kinds for who in ("before", "after")]
    head = "<tr><th>prompt</th><th>real</th>" + "".join(
        f"<th>{_e(labels[who])}, {how}</th>" for who, how in columns) + "</tr>"
    rows = []
    for probe in report["probes"]:
        cells = [f"<td><div class=\"kind\">{_e(probe['kind'])}</div>{_e(probe['prompt'])}</td>",
                 f"<td class=\"real\">{_e(probe.get('reference') or '')}</td>"]
        for who, how in columns:
            cells.append(_reply_cell(probe["replies"][who].get(how), report.get("leak_pattern", "")))
        rows.append(f"<tr class=\"probe\">{''.join(cells)}</tr>")
    return f"<table id=\"probes\">{head}{''.join(rows)}</table>"


def _reply_cell(reply: dict[str, Any] | None, leak_pattern: str) -> str:
    if not reply:
        return "<td></td>"
    text = _e(reply["text"])
    if leak_pattern:
        pattern = re.compile(leak_pattern, re.IGNORECASE)
        text = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", text)
    cut = "<div class=\"cut\">(cut at the token limit)</div>" if reply.get("finish_reason") == "length" else ""
    return f"<td>{text}{cut}</td>"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
