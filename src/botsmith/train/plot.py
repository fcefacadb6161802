"""loss.png: training loss per step and validation loss per evaluation, from the base model's
validation loss (step 0) on, drawn as a dashed line so progress reads against it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_file


def plot_losses(metrics: list[dict[str, Any]], path: Path, title: str = "") -> Path | None:
    """Draw the curves; nothing is written when no step was logged."""
    figure = loss_figure(metrics, title)
    if figure is None:
        return None
    with atomic_file(path, "wb", encoding=None) as handle:
        figure.savefig(handle, format="png")
    return path


def loss_figure(metrics: list[dict[str, Any]], title: str = "") -> Any:
    """The loss curves as a matplotlib Figure (None when nothing was logged)."""
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
    base = base_val_loss(metrics)
    if base is not None:
        axes.axhline(base, color="grey", linestyle="--", linewidth=1, label=f"base model ({base:.3f})")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (nats per token)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure


def base_val_loss(metrics: list[dict[str, Any]]) -> float | None:
    """The validation loss logged before step 1: the base model's (LoRA starts as a no-op)."""
    return next((row["val_loss"] for row in metrics if row.get("step") == 0 and "val_loss" in row), None)
