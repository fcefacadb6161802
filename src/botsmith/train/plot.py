"""loss.png: training loss per step and validation loss per evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_file


def plot_losses(metrics: list[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Draw the curves; nothing is written when no step was logged."""
    train = [(row["step"], row["loss"]) for row in metrics if "loss" in row]
    val = [(row["step"], row["val_loss"]) for row in metrics if "val_loss" in row]
    if not train and not val:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4), dpi=100)
    axes = figure.subplots()
    if train:
        axes.plot(*zip(*train), label="train", linewidth=1, alpha=0.8)
    if val:
        axes.plot(*zip(*val), label="validation", marker="o", linewidth=2)
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (nats per token)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    with atomic_file(path, "wb", encoding=None) as handle:
        figure.savefig(handle, format="png")
    return path
