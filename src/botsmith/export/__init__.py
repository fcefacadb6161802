"""Export and share: merged Hugging Face folder, GGUF + Ollama Modelfile, GGUF LoRA adapter, Hub push."""

from botsmith.export.api import ExportResult, export_formats, export_model, register_exporter
from botsmith.export.hub import push_dataset, push_model

__all__ = ["ExportResult", "export_formats", "export_model", "push_dataset", "push_model", "register_exporter"]
