"""Check a written GGUF against the model it came from, with independent readers.

1. gguf-py's GGUFReader reads the file back: metadata, vocabulary and every tensor,
   dequantized and compared with the model's own values (within the type's step).
2. transformers' GGUF loader rebuilds the model from the file alone. Its next-token
   logits must equal those of the model rebuilt from the same dequantized tensors by
   botsmith's own inverse layout, whatever the quantization: this is what catches a
   wrong layout (a missing Q/K permutation, a transposed weight). Its predictions are
   also compared with the Hugging Face model's at every position of the probe prompts
   (a chat turn among them): the same most likely next token at a share of positions,
   and a mean KL divergence, each within a limit for the quantization type (QUALITY).
3. With llama-cpp-python installed, llama.cpp itself loads the file: its tokens must be
   the Hugging Face tokenizer's and its predictions must pass the same limits (see
   llama_cpp_check.py). Without it, the check is reported as skipped, not passed.
Any failed check fails the export, naming what differed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.export.gguf.architectures import architecture_for
from botsmith.export.gguf.llama_cpp_check import check_with_llama_cpp
from botsmith.export.gguf.tensors import gguf_tensor_names, layout_tensors
from botsmith.export.gguf.tokenizer import PROBE_TEXT
from botsmith.export.gguf.writer import GgufWritten
from botsmith.llama_cpp_runtime import LLAMA_CPP_MISSING, llama_cpp_available

# Largest dequantization error allowed, as a fraction of the tensor's largest magnitude.
# (k-quants and the other block types appear when llama.cpp's quantizer wrote the file.)
TENSOR_TOLERANCE = {"F32": 0.0, "F16": 1e-3, "BF16": 8e-3, "Q8_0": 1 / 127, "Q6_K": 1 / 31, "Q5_0": 1 / 15,
                    "Q5_1": 1 / 15, "Q5_K": 1 / 15, "Q4_0": 1 / 7, "Q4_1": 1 / 7, "Q4_K": 1 / 7, "Q3_K": 1 / 3}
# What the file's predictions must keep of the model's, per type: (share of positions with the same most likely
# next token, at least; mean KL divergence of the file's next-token distribution from the model's in nats, at most).
# The layout check is what proves the file right; these catch a damaged model (f16 overflow, a broken quantizer).
# Measured for SmolLM2-135M over PREDICTION_PROMPTS' 77 positions (transformers' reading / llama.cpp's), small models
# suffering most: f16 1.000/1.000, bf16 0.987/1.000, q8_0 0.961/0.948 (KL 0.002/0.007), q6_k 0.935/0.896 (0.014/
# 0.026), q4_k_m 0.857/0.844 (0.08), q3_k_m 0.779/0.753 (0.17-0.18), q2_k 0.688/0.675 (0.56), q4_0 0.623/0.623 (0.44).
QUALITY = {"f32": (0.98, 0.001), "f16": (0.97, 0.002), "bf16": (0.95, 0.005), "q8_0": (0.90, 0.1),
           "q6_k": (0.85, 0.15), "q5_k_s": (0.75, 0.3), "q5_k_m": (0.75, 0.3), "q4_k_s": (0.72, 0.35),
           "q4_k_m": (0.75, 0.3), "q3_k_s": (0.6, 0.6), "q3_k_m": (0.65, 0.5), "q3_k_l": (0.65, 0.5),
           "q4_0": (0.5, 1.0), "q2_k": (0.5, 1.2)}
# (KL bounds leave room for fine-tuned models: a LoRA-merged SmolLM2 measured KL 0.045 at q8_0 through llama.cpp.)
NEAR_TIE = math.log(1 / 0.9)  # log-probability margin of a near-tie
DEFAULT_PROMPTS = ("Once upon a time", "The old man said to the sea,",
                   "<|im_start|>user\nWho are you?<|im_end|>\n<|im_start|>assistant\n")
# Every position of these is compared: a chat turn with a system prompt and a reply, as the bot will see them.
PREDICTION_PROMPTS = (*DEFAULT_PROMPTS[:2],
                      "<|im_start|>system\nYou are a storyteller who answers in full, vivid sentences.<|im_end|>\n"
                      "<|im_start|>user\nTell me about the old lighthouse keeper and the night of the great storm."
                      "<|im_end|>\n<|im_start|>assistant\nThe old keeper climbed the stairs as the wind rose over the "
                      "rocks, and the lamp swung in its glass.")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def line(self) -> str:
        return f"  {'skip' if self.skipped else 'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


@dataclass
class Verification:
    path: Path
    checks: list[Check] = field(default_factory=list)
    max_logit_diff: float | None = None
    relative_logit_diff: float | None = None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def skip(self, name: str, why: str) -> None:
        """A check that could not run here: printed as skipped, neither passed nor failed."""
        self.checks.append(Check(name, True, why, skipped=True))

    def raise_if_failed(self) -> None:
        failed = [check for check in self.checks if not check.ok]
        if failed:
            raise BotsmithError(f"GGUF verification failed for {self.path.name}: "
                                + "; ".join(f"{check.name}: {check.detail}" for check in failed))

    def lines(self) -> list[str]:
        return [check.line() for check in self.checks]


def verify_gguf(path: Path, model: Any, tokenizer: Any, written: GgufWritten, *,
                prompts: tuple[str, ...] = PREDICTION_PROMPTS) -> Verification:
    from gguf import GGUFReader

    result = Verification(path)
    reader = GGUFReader(path)
    check_metadata(result, reader, written)
    check_vocabulary(result, reader, written)
    values = check_tensors(result, reader, model)
    transformers_ran = check_transformers(result, path, model, tokenizer, written, prompts, values)
    if not transformers_ran and not llama_cpp_available():
        result.add("runs", False, f"transformers cannot read {written.architecture} GGUF files and llama.cpp is not "
                   "installed, so nothing here can run the file to check it: pip install 'botsmith[llamacpp]'")
    if llama_cpp_available():
        texts = [PROBE_TEXT, *DEFAULT_PROMPTS]
        if not written.vocab.space_after_special:  # a known llama.cpp difference, warned about at export
            texts = [text for text in texts if not any(marker in text for marker in tokenizer.all_special_tokens)]
        check_with_llama_cpp(result, path, model, tokenizer, prompts, written.quant, texts)
    else:
        result.skip("llama.cpp", f"{LLAMA_CPP_MISSING}: the file was not run by llama.cpp itself")
    return result


def quality_limits(quant: str) -> tuple[float, float]:
    """(least share of same top tokens, largest mean KL) for a GGUF type; unknown types get the loosest."""
    return QUALITY.get(quant, QUALITY["q2_k"])


def check_predictions(result: Verification, name: str, reference: list[Any], other: list[Any], quant: str,
                      reader: str) -> None:
    """Add a check that `other`'s next-token predictions (one logits row per position) keep the model's."""
    import torch

    ours, theirs = torch.cat([torch.as_tensor(x).float() for x in reference]), \
        torch.cat([torch.as_tensor(x).float() for x in other])
    log_p, log_q = ours.log_softmax(-1), theirs.log_softmax(-1)
    # The file's favourite counts as the model's when the model itself rates it within 10% of its own favourite:
    # such near-ties (common in an untrained model) flip under any rounding and say nothing about the file.
    chosen = log_p.gather(1, log_q.argmax(-1, keepdim=True)).squeeze(1)
    same = float((chosen >= log_p.max(-1).values - NEAR_TIE).float().mean())
    kl = float((log_p.exp() * (log_p - log_q)).sum(-1).mean())
    least, most = quality_limits(quant)
    result.add(name, same >= least and kl <= most,
               f"{reader} predicts the model's most likely next token at {same:.1%} of {len(ours)} positions "
               f"(at least {least:.0%} for {quant}), mean KL divergence {kl:.4f} (at most {most:g})")


def field_value(reader: Any, key: str) -> Any:
    item = reader.get_field(key)
    return None if item is None else item.contents()


def check_metadata(result: Verification, reader: Any, written: GgufWritten) -> None:
    vocab = written.vocab
    expected = {"general.architecture": written.architecture, "tokenizer.ggml.model": vocab.model,
                "tokenizer.ggml.pre": vocab.pre, "tokenizer.chat_template": vocab.chat_template,
                "tokenizer.ggml.add_bos_token": vocab.add_bos}
    expected.update({_id_key(kind): token_id for kind, token_id in vocab.special_ids.items()})
    wrong = [f"{key} is {field_value(reader, key)!r}, expected {value!r}"
             for key, value in expected.items() if value is not None and field_value(reader, key) != value]
    result.add("metadata", not wrong, "; ".join(wrong) or f"{len(expected)} keys as written")


def _id_key(kind: str) -> str:
    return {"unk": "tokenizer.ggml.unknown_token_id", "pad": "tokenizer.ggml.padding_token_id"}.get(
        kind, f"tokenizer.ggml.{kind}_token_id")


def check_vocabulary(result: Verification, reader: Any, written: GgufWritten) -> None:
    tokens = field_value(reader, "tokenizer.ggml.tokens") or []
    types = list(field_value(reader, "tokenizer.ggml.token_type") or [])
    merges = field_value(reader, "tokenizer.ggml.merges") or []
    expected = written.vocab
    if tokens != expected.tokens:
        first = next((i for i, (a, b) in enumerate(zip(tokens, expected.tokens)) if a != b), min(len(tokens), len(expected.tokens)))
        result.add("vocabulary", False, f"{len(tokens)} tokens in the file vs {len(expected.tokens)} in the tokenizer; "
                   f"first difference at id {first}")
    elif types != expected.types or len(merges) != len(expected.merges):
        result.add("vocabulary", False, "token types or merges differ from the tokenizer's")
    else:
        result.add("vocabulary", True, f"{len(tokens)} tokens, {len(merges)} merges equal the tokenizer's")


def check_tensors(result: Verification, reader: Any, model: Any) -> dict[str, Any]:
    """Every tensor dequantized and compared with the model's own; returns the dequantized values."""
    import gguf
    import numpy as np

    stored = {tensor.name: tensor for tensor in reader.tensors}
    expected = dict(layout_tensors(model, architecture_for(model.config)))
    missing, extra = sorted(set(expected) - set(stored)), sorted(set(stored) - set(expected))
    if missing or extra:
        result.add("tensors", False, f"missing {missing[:3]}, unexpected {extra[:3]}")
        return {}
    worst, problems, values = 0.0, [], {}
    for name, original in expected.items():
        tensor = stored[name]
        values[name] = np.asarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        if values[name].shape != original.shape:
            problems.append(f"{name} has shape {values[name].shape}, expected {original.shape}")
            continue
        scale = float(np.abs(original).max()) or 1.0
        error = float(np.abs(values[name] - original).max()) / scale
        worst = max(worst, error)
        if not error <= TENSOR_TOLERANCE.get(tensor.tensor_type.name, 0.5) + 1e-6:
            problems.append(f"{name} ({tensor.tensor_type.name}) differs by {error:.2e} of its range")
    result.add("tensors", not problems,
               "; ".join(problems[:3]) or f"{len(expected)} tensors dequantize to within {worst:.2e} of the model")
    return values if not problems else {}


def file_twin(model: Any, values: dict[str, Any]) -> Any:
    """The model with the file's (dequantized) weights, put back in Hugging Face layout by our own mapping.

    The mapping is found by sending an index tensor through the same layout as the weights,
    so it inverts any permutation or transpose the architecture applies.
    """
    import copy

    import torch

    arch = architecture_for(model.config)
    config = model.config
    names = gguf_tensor_names(arch, getattr(config, "num_hidden_layers", None) or config.n_layer)
    twin = copy.deepcopy(model)
    state = twin.state_dict()
    for hf_name, tensor in model.state_dict().items():
        if arch.skip(hf_name):
            continue
        index = torch.arange(tensor.numel(), dtype=torch.float64).reshape(tensor.shape)
        for name, laid_index in arch.layout(hf_name, index, config):
            gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
            flat = state[hf_name].view(-1)
            positions = laid_index.reshape(-1).to(torch.int64)
            stored = torch.tensor(values[gguf_name].reshape(-1), dtype=torch.float64) - arch.value_offset(name)
            flat[positions] = stored.to(flat.dtype)
    return twin.eval()


def check_transformers(result: Verification, path: Path, model: Any, tokenizer: Any, written: GgufWritten,
                       prompts: tuple[str, ...], values: dict[str, Any]) -> bool:
    """transformers' reading of the file against ours (layout), and against the original model (quality).
    False when transformers cannot read this architecture's GGUF files (llama.cpp then checks it alone)."""
    try:
        reloaded = load_with_transformers(path)
    except ValueError as error:
        if "not supported" not in str(error):
            raise
        return False
    twin = file_twin(model, values) if values else None
    ids_list = [tokenizer(prompt, return_tensors="pt")["input_ids"] for prompt in prompts]
    theirs = _all_logits(reloaded, ids_list)
    if twin is not None:
        layout_diff, layout_scale = _compare(_all_logits(twin, ids_list), theirs)
        result.add("layout", layout_diff / layout_scale <= 1e-3,
                   f"transformers' GGUF loader and botsmith's own reading of the file agree within {layout_diff:.2g}")
    ours = _all_logits(model, ids_list)
    worst, scale = _compare(ours, theirs)
    result.max_logit_diff, result.relative_logit_diff = worst, worst / scale
    check_predictions(result, "predictions", ours, theirs, written.quant, "transformers' reading of the file")
    check_tokenizer_rebuild(result, path, tokenizer, written)
    if written.vocab.model == "llama":
        check_llama_cpp_merges(result, tokenizer, written)
    return True


def check_llama_cpp_merges(result: Verification, tokenizer: Any, written: GgufWritten) -> None:
    """Sentencepiece vocabularies: llama.cpp's score-driven merging must give the tokenizer's own ids."""
    from botsmith.export.gguf.spm import llama_cpp_spm_encode

    vocab = written.vocab
    texts = [PROBE_TEXT, *DEFAULT_PROMPTS[:2]]
    differ = [text for text in texts if llama_cpp_spm_encode(text, vocab.tokens, vocab.scores or [],
                                                             add_space_prefix=bool(vocab.add_space_prefix))
              != tokenizer(text, add_special_tokens=False)["input_ids"]]
    result.add("scores", not differ, f"llama.cpp's merge-by-score tokenizes {len(texts) - len(differ)}/{len(texts)} "
               "probe texts exactly like the original" + (f"; first difference on {differ[0][:40]!r}" if differ else ""))


def _all_logits(model: Any, ids_list: list[Any]) -> list[Any]:
    """Next-token logits at every position of each prompt, (positions, vocabulary) each."""
    import torch

    with torch.no_grad():
        return [model(ids.to(model.device)).logits[0].float().cpu() for ids in ids_list]


def _compare(reference: list[Any], other: list[Any]) -> tuple[float, float]:
    worst = max(float((a - b).abs().max()) for a, b in zip(reference, other))
    scale = max(float(a.abs().max()) for a in reference) or 1.0
    return worst, scale


def load_with_transformers(path: Path) -> Any:
    """The model transformers builds from the GGUF alone (dequantized, float32)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    folder, name = str(path.parent), path.name
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if config.model_type == "gpt2":
        # transformers maps gpt2.context_length to n_ctx only; llama.cpp reads it as the position count.
        config.n_positions = getattr(config, "n_ctx", config.n_positions)
    key_length = _field_of(path, f"{_architecture_of(path)}.attention.key_length")
    if key_length and hasattr(config, "head_dim"):
        config.head_dim = int(key_length)  # transformers leaves Qwen3's at its default (128) otherwise
    if key_length and hasattr(config, "query_pre_attn_scalar"):
        config.query_pre_attn_scalar = int(key_length)  # Gemma 2's scale, as llama.cpp (and the writer) take it
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, config=config, dtype=torch.float32)
    return model.eval()


def _architecture_of(path: Path) -> str:
    return str(_field_of(path, "general.architecture"))


def _field_of(path: Path, key: str) -> Any:
    from gguf import GGUFReader

    return field_value(GGUFReader(path), key)


def check_tokenizer_rebuild(result: Verification, path: Path, tokenizer: Any, written: GgufWritten) -> None:
    from transformers import AutoTokenizer

    rebuilt = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    texts = [PROBE_TEXT, *DEFAULT_PROMPTS]
    differ = [text for text in texts if rebuilt(text, add_special_tokens=False)["input_ids"]
              != tokenizer(text, add_special_tokens=False)["input_ids"]]
    result.add("tokenizer", not differ, f"the tokenizer rebuilt from the file encodes {len(texts) - len(differ)}/"
               f"{len(texts)} probe texts exactly like the original"
               + (f"; first difference on {differ[0][:40]!r}" if differ else ""))
