"""Datasets: a bot's cleaned sources -> train/validation JSONL + stats, inspection and export formats."""

from botsmith.dataset.build import BuildResult, build_dataset
from botsmith.dataset.formats import EXPORT_FORMATS, export_dataset
from botsmith.dataset.inspect import InspectReport, inspect_dataset

__all__ = ["BuildResult", "EXPORT_FORMATS", "InspectReport", "build_dataset", "export_dataset", "inspect_dataset"]
