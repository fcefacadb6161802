"""llama.cpp's sentencepiece tokenizer, replayed in Python to check the scores botsmith writes.

llama.cpp (llm_tokenizer_spm) starts from single characters and repeatedly merges the
adjacent pair whose joined text is the best-scoring token (leftmost first on ties);
what is left unknown falls back to <0xXX> byte tokens. If the scores are right, this
gives the same ids as the Hugging Face tokenizer.
"""

from __future__ import annotations

import heapq

SPACE = "\u2581"


def llama_cpp_spm_encode(text: str, tokens: list[str], scores: list[float], *, add_space_prefix: bool) -> list[int]:
    ids = {token: index for index, token in enumerate(tokens)}
    text = text.replace(" ", SPACE)
    if add_space_prefix:
        text = SPACE + text
    symbols: list[str | None] = list(text)
    right = list(range(1, len(symbols) + 1))
    left = list(range(-1, len(symbols) - 1))
    queue: list[tuple[float, int, int, str]] = []

    def push(a: int, b: int) -> None:
        if a < 0 or b >= len(symbols):
            return
        joined = symbols[a] + symbols[b]
        if joined in ids:
            heapq.heappush(queue, (-scores[ids[joined]], a, b, joined))

    for index in range(len(symbols) - 1):
        push(index, index + 1)
    while queue:
        _, a, b, joined = heapq.heappop(queue)
        if symbols[a] is None or symbols[b] is None or right[a] != b or symbols[a] + symbols[b] != joined:
            continue  # stale: one side was merged since
        symbols[a], symbols[b] = joined, None
        right[a] = right[b]
        if right[a] < len(symbols):
            left[right[a]] = a
        push(left[a], a)
        push(a, right[a])
    return [token_id for symbol in symbols if symbol is not None for token_id in _ids(symbol, ids)]


def _ids(symbol: str, ids: dict[str, int]) -> list[int]:
    if symbol in ids:
        return [ids[symbol]]
    return [ids[f"<0x{byte:02X}>"] for byte in symbol.encode("utf-8")]
