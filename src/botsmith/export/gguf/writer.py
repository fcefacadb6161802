"""Write a Hugging Face causal LM as a GGUF file, in Python, with gguf-py's GGUFWriter.

The file goes to a temporary name beside the target and is renamed only once it is
complete and synced, so a full disk or an interrupted export never leaves a
half-written GGUF under the final name.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botsmith.atomic import atomic_path
from botsmith.errors import BotsmithError
from botsmith.export.gguf.architectures import architecture_for
from botsmith.export.gguf.tensors import PYTHON_QUANTS, encode_tensor, file_type, layout_tensors
from botsmith.export.gguf.tokenizer import GgufVocab, build_vocab


@dataclass
class GgufWritten:
    path: Path
    architecture: str
    quant: str
    vocab: GgufVocab
    tensor_types: dict[str, str] = field(default_factory=dict)  # name -> ggml type name

    @property
    def warnings(self) -> list[str]:
        return self.vocab.warnings


def write_gguf(model: Any, tokenizer: Any, path: Path, *, quant: str = "q8_0", name: str = "botsmith model",
               chat_template: str | None = None, end_of_turn: str | None = None,
               description: str | None = None) -> GgufWritten:
    """Write `model` + `tokenizer` to `path` as GGUF with 2-D weights in `quant`."""
    import gguf

    if quant not in PYTHON_QUANTS:
        raise BotsmithError(f"unknown GGUF quantization '{quant}'", hint=f"choose one of {', '.join(PYTHON_QUANTS)}")
    arch = architecture_for(model.config)
    vocab = build_vocab(tokenizer, n_vocab=model.get_input_embeddings().weight.shape[0],
                        chat_template=chat_template, end_of_turn=end_of_turn)
    writer = gguf.GGUFWriter(None, arch.gguf_name)
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name(name)
    if description:
        writer.add_description(description)
    writer.add_file_type(file_type(quant))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    arch.add_metadata(writer, model.config)
    vocab.add_to(writer)
    written = GgufWritten(path, arch.gguf_name, quant, vocab)
    for tensor_name, array in layout_tensors(model, arch):
        tensor = encode_tensor(tensor_name, array, quant)
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.ggml_type)
        written.tensor_types[tensor.name] = tensor.ggml_type.name
    save_writer(writer, path)
    return written


def save_writer(writer: Any, path: Path) -> None:
    """Header, metadata and tensors to a temporary file, then the rename; disk errors become one line."""
    try:
        with atomic_path(path) as tmp:
            try:
                writer.write_header_to_file(tmp)
                writer.write_kv_data_to_file()
                writer.write_tensors_to_file()
            finally:
                writer.close()
    except OSError as error:
        # A buffered write cut short by a full disk surfaces as an errno-less "N requested and M written".
        short_write = error.errno is None and "written" in str(error)
        full = short_write or error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
        reason = "the disk is full" if full else error.strerror
        raise BotsmithError(f"could not write {path}: {reason or error}",
                            hint="free some space or pass --out on another disk; no partial file was left") from None
