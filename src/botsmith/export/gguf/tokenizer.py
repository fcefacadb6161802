"""The tokenizer as GGUF metadata: tokens, types, merges, pre-tokenizer, special ids.

Supported: byte-level BPE (GPT-2, SmolLM, Llama 3, Qwen2), written as
`tokenizer.ggml.model = "gpt2"`, and sentencepiece-style BPE with byte fallback
(Llama 2, Mistral 7B, TinyLlama), written as `tokenizer.ggml.model = "llama"`: llama.cpp
merges those by token score, so each token scores minus the rank of the merge that makes
it, which replays the BPE merge order. The pre-tokenizer name tells llama.cpp how to split
text before BPE; llama.cpp's converter picks it by hashing the token ids of a test
text. We pick it by behaviour instead: the llama.cpp split rules whose pieces of a
probe text equal the tokenizer's own. Known tokenizers are first looked up the way
llama.cpp's converter does it (sha256 of the ids of its check text), so a SmolLM2 file
says "smollm" as llama.cpp's own would. A tokenizer that matches neither gets "default"
with a warning (llama.cpp then uses its generic rules and may tokenize differently).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from botsmith.errors import BotsmithError

_GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
           r"|\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
# llama.cpp pre-tokenizer name -> its split rules (llama-vocab.cpp), applied one after the other.
PRE_TOKENIZERS: dict[str, tuple[str, ...]] = {
    "gpt-2": (_GPT2,),
    "smollm": (r"\p{N}", _GPT2),
    "llama-bpe": (_LLAMA3,),
    "qwen2": (_QWEN2,),
}
DEFAULT_PRE = "default"
# llama.cpp's check text and the hashes of its token ids for tokenizers botsmith can export
# (from llama.cpp's convert_hf_to_gguf.py, MIT licence).
LLAMA_CPP_CHECK_TEXT = '\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български \'\'\'\'\'\'```````""""......!!!!!!?????? I\'ve been \'told he\'s there, \'RE you sure? \'M not sure I\'ll make it, \'D you like some tea? We\'Ve a\'lL'
LLAMA_CPP_HASHES = {
    "3ce83efda5659b07b1ad37ca97ca5797ea4285d9b9ab0dc679e4a720c9da7454": "gpt-2",  # openai-community/gpt2
    "0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5": "llama-bpe",  # Meta-Llama-3-8B
    "e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea": "qwen2",  # Qwen1.5-7B
    "d4540891389ea895b53b399da6ac824becc30f2fba0e9ddbb98f92e55ca0e97c": "qwen2",  # Qwen3-Embedding-0.6B
    "855059429035d75a914d1eda9f10a876752e281a054a7a3d421ef0533e5b6249": "smollm",  # SmolLM-135M (SmolLM2 too)
    "63b97e4253352e6f357cc59ea5b583e3a680eaeaf2632188c2b952de2588485e": "tekken",  # Mistral-Nemo-Base-2407
}
PROBE_TEXT = LLAMA_CPP_CHECK_TEXT + (
    "Hello, World! It's 2024: 3.14159 + 42 = 45.14 (approx.)\n\n\n  \t indented   spaces \n \r\n"
    "Étoile café naïve Straße 日本語のテキスト 🦙🦙 ''''``` I've he'll WE'RE don't DON'T 1234567 a1b2c3 --- ...\n"
    "    def f(x):\n        return x*2  # comment\n\t\tTabs\u00a0nbsp \u3000ideographic"
)
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


@dataclass
class GgufVocab:
    model: str  # tokenizer.ggml.model
    pre: str  # tokenizer.ggml.pre
    tokens: list[str]
    types: list[int]
    merges: list[str]
    special_ids: dict[str, int] = field(default_factory=dict)  # bos, eos, unk, pad, eot
    add_bos: bool = False
    add_eos: bool = False
    chat_template: str | None = None
    warnings: list[str] = field(default_factory=list)
    scores: list[float] | None = None  # sentencepiece-style only
    add_space_prefix: bool | None = None  # sentencepiece-style only
    # llama.cpp puts a space before text after a special token (sentencepiece "legacy");
    # False when this tokenizer does not, so llama.cpp differs there.
    space_after_special: bool = True

    def add_to(self, writer: Any) -> None:
        writer.add_tokenizer_model(self.model)
        writer.add_tokenizer_pre(self.pre)
        writer.add_token_list(self.tokens)
        writer.add_token_types(self.types)
        writer.add_token_merges(self.merges)
        if self.scores is not None:
            writer.add_token_scores(self.scores)
        if self.add_space_prefix is not None:
            writer.add_add_space_prefix(self.add_space_prefix)
        for kind, token_id in self.special_ids.items():
            getattr(writer, f"add_{kind}_token_id")(token_id)
        writer.add_add_bos_token(self.add_bos)
        writer.add_add_eos_token(self.add_eos)
        if self.chat_template:
            writer.add_chat_template(self.chat_template)


def build_vocab(tokenizer: Any, *, n_vocab: int, chat_template: str | None, end_of_turn: str | None) -> GgufVocab:
    """The GGUF vocabulary of a Hugging Face fast tokenizer, padded to the model's `n_vocab` rows."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    tokens, types = _tokens_and_types(tokenizer, spec, n_vocab)
    if _is_byte_level_bpe(spec):
        pre, warnings = detect_pre_tokenizer(tokenizer)
        vocab = GgufVocab("gpt2", pre, tokens, types, _merges(spec), warnings=warnings)
    elif _is_sentencepiece_bpe(spec):
        vocab = GgufVocab("llama", DEFAULT_PRE, tokens, types, _merges(spec), scores=_merge_scores(spec, tokens),
                          add_space_prefix=_adds_space_prefix(spec))
        if vocab.add_space_prefix and not _prefixes_every_piece(spec):
            vocab.space_after_special = False
            vocab.warnings.append("llama.cpp puts a space before text that follows a special token and this "
                                  "tokenizer does not, so chat prompts tokenize slightly differently in llama.cpp")
    else:
        kind = spec["model"]["type"] + (" with byte fallback" if spec["model"].get("byte_fallback") else "")
        raise BotsmithError(f"the GGUF writer supports BPE tokenizers (byte-level or sentencepiece-style) only, "
                            f"not this {kind} one",
                            hint="export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py")
    vocab.chat_template = chat_template
    vocab.special_ids = _special_ids(tokenizer, end_of_turn)
    vocab.add_bos, vocab.add_eos = _adds_specials(tokenizer)
    return vocab


def _is_byte_level_bpe(spec: dict) -> bool:
    if spec["model"]["type"] != "BPE" or spec["model"].get("byte_fallback"):
        return False
    pre = spec.get("pre_tokenizer") or {}
    parts = pre.get("pretokenizers", [pre])
    return any(part.get("type") == "ByteLevel" for part in parts)


def _is_sentencepiece_bpe(spec: dict) -> bool:
    return spec["model"]["type"] == "BPE" and bool(spec["model"].get("byte_fallback")) and "\u2581" in json.dumps(spec, ensure_ascii=False)


def _adds_space_prefix(spec: dict) -> bool:
    """Whether text gets a leading "\u2581" (Metaspace prepend, or a Prepend normalizer)."""
    parts = [part for key in ("normalizer", "pre_tokenizer") for part in _flatten(spec.get(key))]
    return any(part.get("type") == "Prepend" or part.get("prepend_scheme") in ("first", "always") for part in parts)


def _prefixes_every_piece(spec: dict) -> bool:
    """A Prepend normalizer or prepend_scheme "always" prefixes text after special tokens too."""
    parts = [part for key in ("normalizer", "pre_tokenizer") for part in _flatten(spec.get(key))]
    return any(part.get("type") == "Prepend" or part.get("prepend_scheme") == "always" for part in parts)


def _flatten(component: dict | None) -> list[dict]:
    if not component:
        return []
    inner = component.get("normalizers") or component.get("pretokenizers")
    return [part for item in inner for part in _flatten(item)] if inner else [component]


def _merge_scores(spec: dict, tokens: list[str]) -> list[float]:
    """Minus the rank of the merge that first makes each token; tokens no merge makes score 0."""
    rank: dict[str, int] = {}
    for index, merge in enumerate(spec["model"].get("merges") or []):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        rank.setdefault(left + right, index + 1)
    return [-float(rank.get(token, 0)) for token in tokens]


def _tokens_and_types(tokenizer: Any, spec: dict, n_vocab: int) -> tuple[list[str], list[int]]:
    vocab = tokenizer.get_vocab()
    size = max(max(vocab.values()) + 1, n_vocab)
    if size > n_vocab:
        raise BotsmithError(f"the tokenizer has {size} tokens but the model only {n_vocab} embedding rows")
    by_id: dict[int, str] = {index: token for token, index in vocab.items()}
    added = {entry["id"]: entry for entry in spec.get("added_tokens", [])}
    tokens, types = [], []
    for index in range(n_vocab):
        if index not in by_id:  # rows the model has beyond the tokenizer (padded embeddings)
            tokens.append(f"[PAD{index}]")
            types.append(UNUSED)
            continue
        token = by_id[index]
        tokens.append(token)
        entry = added.get(index)
        if BYTE_TOKEN.match(token) and spec["model"].get("byte_fallback"):
            types.append(BYTE)
        elif token == spec["model"].get("unk_token"):
            types.append(UNKNOWN)
        else:
            types.append(NORMAL if entry is None else CONTROL if entry.get("special") else USER_DEFINED)
    return tokens, types


def _merges(spec: dict) -> list[str]:
    merges = spec["model"].get("merges") or []
    # The newer pair format may hold spaces; gguf-py encodes them as U+0120+ like llama.cpp does.
    return [m if isinstance(m, str) else " ".join("".join(chr(ord(c) + 256) if c == " " else c for c in part)
                                                  for part in m) for m in merges]


def _special_ids(tokenizer: Any, end_of_turn: str | None) -> dict[str, int]:
    ids = {"bos": tokenizer.bos_token_id, "eos": tokenizer.eos_token_id,
           "unk": tokenizer.unk_token_id, "pad": tokenizer.pad_token_id}
    if end_of_turn:
        eot = tokenizer.convert_tokens_to_ids(end_of_turn)
        if isinstance(eot, int) and eot != tokenizer.unk_token_id and eot != ids["eos"]:
            ids["eot"] = eot  # llama.cpp stops at end-of-turn as well as at eos
    return {kind: token_id for kind, token_id in ids.items() if isinstance(token_id, int)}


def _adds_specials(tokenizer: Any) -> tuple[bool, bool]:
    """Whether encoding adds bos / eos, found by encoding once with and once without specials."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    add_bos = len(full) > len(plain) and full[0] == tokenizer.bos_token_id
    add_eos = len(full) > len(plain) and full[-1] == tokenizer.eos_token_id
    return add_bos, add_eos


def detect_pre_tokenizer(tokenizer: Any) -> tuple[str, list[str]]:
    """llama.cpp's name for this tokenizer's pre-tokenizer: by its hash table, else by behaviour."""
    import hashlib

    digest = hashlib.sha256(str(tokenizer.encode(LLAMA_CPP_CHECK_TEXT)).encode()).hexdigest()
    if digest in LLAMA_CPP_HASHES:
        return LLAMA_CPP_HASHES[digest], []
    return pre_tokenizer_by_behaviour(tokenizer)


def pre_tokenizer_by_behaviour(tokenizer: Any) -> tuple[str, list[str]]:
    """The llama.cpp split rules that split the probe text exactly as this tokenizer does."""
    from tokenizers import Regex, pre_tokenizers

    own = tokenizer.backend_tokenizer.pre_tokenizer
    expected = [piece for piece, _ in own.pre_tokenize_str(PROBE_TEXT)]
    for name, rules in PRE_TOKENIZERS.items():
        splits = [pre_tokenizers.Split(Regex(rule), behavior="isolated") for rule in rules]
        candidate = pre_tokenizers.Sequence([*splits, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        if [piece for piece, _ in candidate.pre_tokenize_str(PROBE_TEXT)] == expected:
            return name, []
    return DEFAULT_PRE, [f"the tokenizer's pre-tokenizer matches none of {', '.join(PRE_TOKENIZERS)}; "
                         f"wrote '{DEFAULT_PRE}', so llama.cpp may split some text differently"]
