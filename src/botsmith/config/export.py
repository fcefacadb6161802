"""The [export] table: defaults for sharing the trained bot."""

from __future__ import annotations

from pydantic import Field, field_validator

from botsmith.config.section import Section

# Written in Python by botsmith itself.
PYTHON_QUANTS: tuple[str, ...] = ("f32", "f16", "bf16", "q8_0", "q4_0")
# Written by llama.cpp's quantizer: llama-quantize on the PATH, or llama-cpp-python (export/gguf/kquants.py).
K_QUANTS: tuple[str, ...] = ("q2_k", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k")


class ExportSection(Section):
    quant: str = Field("q8_0", description="GGUF quantization: f16, bf16, q8_0, q4_0 (k-quants such as q4_k_m with llama-cpp-python installed or llama-quantize on the PATH).")
    hub_repo: str = Field("", description="Default Hugging Face Hub repo for botsmith push (user/name).")

    @field_validator("quant")
    @classmethod
    def _known_quant(cls, value: str) -> str:
        value = value.lower()
        if value not in PYTHON_QUANTS + K_QUANTS:
            raise ValueError(f"must be one of {', '.join(PYTHON_QUANTS + K_QUANTS)}")
        return value
