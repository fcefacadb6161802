"""Recommended bases: what a user can bring, how big each is, and what training it needs.

Shapes are the published configs' (parameters, layers, width, vocabulary); what each needs
comes from botsmith.train.estimate for one reference job, 1,000 examples of 256 tokens, one
epoch, batch 8, so the figures are comparable and move with the machine they are printed on:
RAM for LoRA and for a full fine-tune (bf16), time for that job on this machine's CPU, and
GPU memory for LoRA. Names are what `[bot] base_model` takes (an alias or a Hub id).
"""

from __future__ import annotations

from dataclasses import dataclass

from botsmith.models.catalog import DEFAULT_MODEL

REFERENCE_EXAMPLES, REFERENCE_LENGTH, REFERENCE_BATCH, REFERENCE_RANK = 1000, 256, 8, 16


@dataclass(frozen=True)
class Base:
    name: str
    params: int
    layers: int
    hidden: int
    vocab: int
    template: str  # the chat style botsmith reads from its template ("none": ChatML is added)
    gguf: bool  # botsmith's GGUF writer exports it
    note: str = ""
    dropout: bool = False  # trains with dropout (GPT-2's 0.1): more activation memory

    def shape(self):
        from botsmith.train.estimate import ModelShape

        # LoRA on every block linear: ~12 x width^2 weights per layer carry ~(in + out) = 2 x 6 x width per rank
        return ModelShape(self.params, self.layers, self.hidden, self.vocab, lora_per_rank=12 * self.hidden * self.layers,
                          dropout=self.dropout)


RECOMMENDED: tuple[Base, ...] = (
    Base(DEFAULT_MODEL, 134_515_008, 30, 576, 49152, "chatml", True, "the default; downloads from the package index"),
    Base("HuggingFaceTB/SmolLM2-360M-Instruct", 361_821_120, 32, 960, 49152, "chatml", True),
    Base("Qwen/Qwen2.5-0.5B-Instruct", 494_032_768, 24, 896, 151936, "chatml", True),
    Base("Qwen/Qwen3-0.6B", 596_049_920, 28, 1024, 151936, "chatml", True),
    Base("meta-llama/Llama-3.2-1B-Instruct", 1_235_814_400, 16, 2048, 128256, "llama3", True, "gated: accept the licence"),
    Base("TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1_100_048_384, 22, 2048, 32000, "zephyr", True),
    Base("HuggingFaceTB/SmolLM2-1.7B-Instruct", 1_711_376_384, 24, 2048, 49152, "chatml", True),
    Base("google/gemma-1.1-2b-it", 2_506_172_416, 18, 2048, 256000, "gemma", True, "gated: accept the licence"),
    Base("microsoft/Phi-3-mini-4k-instruct", 3_821_079_552, 32, 3072, 32064, "phi3", True),
    Base("distilgpt2", 81_912_576, 6, 768, 50257, "none", True, "completion bots; no chat template", dropout=True),
    Base("gpt2", 124_439_808, 12, 768, 50257, "none", True, "completion bots; no chat template", dropout=True),
    Base("gpt2-medium", 354_823_168, 24, 1024, 50257, "none", True, dropout=True),
    Base("gpt2-large", 774_030_080, 36, 1280, 50257, "none", True, "selfchatbot's sample model", dropout=True),
    Base("gpt2-xl", 1_557_611_200, 48, 1600, 50257, "none", True, dropout=True),
    Base("EleutherAI/pythia-160m", 162_322_944, 12, 768, 50304, "none", True),
    Base("bigscience/bloom-560m", 559_214_592, 24, 1024, 250880, "none", True),
)


@dataclass(frozen=True)
class Needs:
    lora_ram_bytes: int
    full_ram_bytes: int
    cpu_seconds: float  # the reference job, LoRA, on this machine's CPU
    gpu_lora_bytes: int


def needs(base: Base, cpu_flops: float, dtype_bytes: int = 2) -> Needs:
    """What the reference job needs for `base`; `cpu_flops` is this machine's probe (machine_flops()) in the dtype
    of `dtype_bytes`, the one training computes in here."""
    from botsmith.train.estimate import estimate_run, training_share

    job = dict(tokens=REFERENCE_EXAMPLES * REFERENCE_LENGTH, batch_size=REFERENCE_BATCH, max_length=REFERENCE_LENGTH,
               lora_r=REFERENCE_RANK, free_bytes=0)
    lora = estimate_run(base.shape(), method="lora", dtype_bytes=dtype_bytes,
                        flops_per_second=cpu_flops * training_share("lora", "cpu", dtype_bytes), **job)
    full = estimate_run(base.shape(), method="full", dtype_bytes=dtype_bytes, flops_per_second=cpu_flops, **job)
    gpu = estimate_run(base.shape(), method="lora", device="cuda", flops_per_second=1.0, **job)
    return Needs(lora.memory_bytes, full.memory_bytes, lora.seconds, gpu.memory_bytes)
