"""The report's plots, as PNG bytes to embed in report.html."""

from __future__ import annotations

import io
from typing import Any

COLORS = {"before": "#8a8f98", "after": "#2f6fd6", "real": "#d98c1f"}


def png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _figure(width: float = 6.0, height: float = 3.4) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    return figure, figure.subplots()


def perplexity_figure(values: dict[str, float], labels: dict[str, str]) -> Any:
    """Held-out perplexity, one bar per model (lower is better)."""
    figure, axes = _figure(4.8, 3.2)
    names = list(values)
    bars = axes.bar([labels[name] for name in names], [values[name] for name in names],
                    color=[COLORS.get(name, "#555") for name in names])
    for bar, name in zip(bars, names):
        axes.annotate(f"{values[name]:.1f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=9)
    axes.set_ylabel("perplexity (lower is better)")
    axes.set_title("Held-out perplexity")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return figure


def length_figure(lengths: dict[str, list[int]], labels: dict[str, str]) -> Any:
    """Reply lengths in words: each model's replies beside the real lines."""
    figure, axes = _figure()
    series = {name: values for name, values in lengths.items() if values}
    top = max((max(values) for values in series.values()), default=1)
    bins = list(range(0, top + 10, max(5, (top + 10) // 20)))
    for name, values in series.items():
        axes.hist(values, bins=bins, alpha=0.55, label=f"{labels[name]} (mean {sum(values) / len(values):.0f})",
                  color=COLORS.get(name, "#555"))
    axes.set_xlabel("words per reply")
    axes.set_ylabel("replies")
    axes.set_title("Reply length")
    axes.grid(alpha=0.3)
    if series:  # no held-out replies (eval --probes 0): an empty plot, without an empty legend
        axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
