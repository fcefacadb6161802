"""The [export] table: defaults for sharing the trained bot."""

from __future__ import annotations

from pydantic import Field

from botsmith.config.section import Section


class ExportSection(Section):
    quant: str = Field("q8_0", description="GGUF quantization: f16, bf16, q8_0, q4_0 (k-quants when llama-quantize is on PATH).")
    hub_repo: str = Field("", description="Default Hugging Face Hub repo for botsmith push (user/name).")
