"""Model tensors as llama.cpp stores them: names, layout and quantization.

Names come from gguf-py's own TensorNameMap (the table llama.cpp's converter uses);
layout changes (Q/K permutation, transposes) from the architecture registry. Types
follow llama.cpp's conventions: 1-D tensors (norms, biases) stay F32, rows whose
length is not a multiple of the block size fall back to F16.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botsmith.errors import BotsmithError
from botsmith.export.gguf.architectures import GgufArchitecture

# --quant value -> (ggml type name for 2-D weights, llama file type name)
PYTHON_QUANTS = {
    "f32": ("F32", "ALL_F32"),
    "f16": ("F16", "MOSTLY_F16"),
    "bf16": ("BF16", "MOSTLY_BF16"),
    "q8_0": ("Q8_0", "MOSTLY_Q8_0"),
    "q4_0": ("Q4_0", "MOSTLY_Q4_0"),
}
# Embedding and output are the tensors most sensitive to quantization; llama.cpp keeps
# them at higher precision in its q4 presets too (it uses q6_K; Q8_0 is what Python can write).
SENSITIVE = ("token_embd.weight", "output.weight")


@dataclass
class GgufTensor:
    name: str  # llama.cpp name, e.g. blk.0.attn_q.weight
    data: Any  # numpy array: float values, or the quantized bytes
    ggml_type: Any  # gguf.GGMLQuantizationType
    shape: tuple[int, ...]  # logical (numpy order) shape


def gguf_tensor_names(arch: GgufArchitecture, n_layers: int):
    import gguf

    arch_id = next(key for key, value in gguf.MODEL_ARCH_NAMES.items() if value == arch.gguf_name)
    return gguf.get_tensor_name_map(arch_id, n_layers)


def layout_tensors(model: Any, arch: GgufArchitecture) -> Iterator[tuple[str, Any]]:
    """(llama.cpp name, float32 numpy array) for every tensor llama.cpp reads."""
    import torch

    config = model.config
    n_layers = getattr(config, "num_hidden_layers", None) or config.n_layer
    names = gguf_tensor_names(arch, n_layers)
    for hf_name, tensor in model.state_dict().items():
        if arch.skip(hf_name):
            continue
        for name, laid_out in arch.layout(hf_name, tensor, config):
            gguf_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
            if gguf_name is None:
                raise BotsmithError(f"the GGUF writer has no llama.cpp name for tensor '{name}' ({arch.gguf_name})",
                                    hint="this model differs from the supported layout; export with --format hf")
            values = laid_out.detach().to(torch.float32) + arch.value_offset(name)
            yield gguf_name, values.contiguous().numpy()


def tensor_type(name: str, array: Any, quant: str) -> Any:
    import gguf

    types = gguf.GGMLQuantizationType
    if array.ndim < 2:
        return types.F32
    target = types[PYTHON_QUANTS[quant][0]]
    if quant == "q4_0" and name in SENSITIVE:
        target = types.Q8_0
    block_size = gguf.GGML_QUANT_SIZES[target][0]
    if array.shape[-1] % block_size:
        return types.F16  # llama.cpp's fallback for rows that do not fill whole blocks
    return target


def encode_tensor(name: str, array: Any, quant: str) -> GgufTensor:
    """Convert one float32 tensor to the type chosen for it; quantized types become packed bytes."""
    import gguf
    import numpy as np

    ggml_type = tensor_type(name, array, quant)
    types = gguf.GGMLQuantizationType
    if ggml_type == types.F32:
        data = array.astype(np.float32)
    elif ggml_type == types.F16:
        data = array.astype(np.float16)
    else:
        data = gguf.quants.quantize(array, ggml_type)
    return GgufTensor(name, data, ggml_type, tuple(array.shape))


def decode_tensor(data: Any, ggml_type: Any) -> Any:
    """Back to float32 (what a reader of the file computes with)."""
    import gguf
    import numpy as np

    return np.asarray(gguf.quants.dequantize(data, ggml_type), dtype=np.float32)


def file_type(quant: str) -> Any:
    import gguf

    return gguf.LlamaFileType[PYTHON_QUANTS[quant][1]]
