"""Examples -> rows -> micro-batches, in an order that is a pure function of (seed, step).

Packing puts several short examples into one row of up to max_length tokens. Each
example's position ids restart at 0, and the attention mask is left to the model,
which (transformers' `find_packed_sequence_indices`) turns restarting positions into
a block-diagonal causal mask: attention never crosses an example boundary. Padding
at the end of a row is its own block, with no loss.

Without packing, rows are single examples and batches group similar lengths, so
little is padded.

The order of micro-batches is fixed by the seed and the epoch, so any step's batches
can be recomputed: resuming needs only the step number.
"""

from __future__ import annotations

from dataclasses import dataclass

from botsmith.train.data import IGNORE, Example

GROUP_WINDOW = 64  # batches per window in which length-grouped rows are sorted


@dataclass(frozen=True)
class Row:
    examples: tuple[Example, ...]

    def __len__(self) -> int:
        return sum(len(example) for example in self.examples)


@dataclass(frozen=True)
class MicroBatch:
    rows: tuple[Row, ...]

    @property
    def targets(self) -> int:
        """Tokens that carry loss (labels are shifted by one, so a row's first label never counts)."""
        return sum(sum(1 for label in ex.labels[1:] if label != IGNORE) for row in self.rows for ex in row.examples)

    @property
    def tokens(self) -> int:
        return sum(len(row) for row in self.rows)


def pack(examples: list[Example], max_length: int) -> list[Row]:
    """First-fit decreasing: few rows, little padding; deterministic for a given input."""
    order = sorted(range(len(examples)), key=lambda i: (-len(examples[i]), i))
    rows: list[list[Example]] = []
    room: list[int] = []
    for index in order:
        example = examples[index]
        slot = next((r for r, free in enumerate(room) if free >= len(example)), None)
        if slot is None:
            rows.append([example])
            room.append(max_length - len(example))
        else:
            rows[slot].append(example)
            room[slot] -= len(example)
    return [Row(tuple(row)) for row in rows]


def single_rows(examples: list[Example]) -> list[Row]:
    return [Row((example,)) for example in examples]


def epoch_batches(rows: list[Row], batch_size: int, *, seed: int, epoch: int, group_by_length: bool) -> list[MicroBatch]:
    """The micro-batches of one epoch, shuffled by (seed, epoch)."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1000003 + epoch)
    order = torch.randperm(len(rows), generator=generator).tolist()
    if group_by_length:
        window = batch_size * GROUP_WINDOW
        order = [i for start in range(0, len(order), window)
                 for i in sorted(order[start:start + window], key=lambda i: len(rows[i]))]
    batches = [MicroBatch(tuple(rows[i] for i in order[start:start + batch_size]))
               for start in range(0, len(order), batch_size)]
    if group_by_length:  # sorted windows would otherwise run short-to-long
        batches = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
    return batches


def fixed_batches(rows: list[Row], batch_size: int) -> list[MicroBatch]:
    """Evaluation batches: unshuffled, lengths grouped so that little is padded."""
    ordered = sorted(rows, key=len)
    return [MicroBatch(tuple(ordered[start:start + batch_size])) for start in range(0, len(ordered), batch_size)]


def collate(batch: MicroBatch, pad_id: int):
    """Tensors input_ids, labels, position_ids of shape (rows, longest row), and unwanted: (row, index, token) of
    each token that must not come at that place (examples' rejected replies, data.py)."""
    import torch

    width = max(len(row) for row in batch.rows)
    ids, labels, positions, unwanted = [], [], [], []
    for number, row in enumerate(batch.rows):
        row_ids, row_labels, row_positions = [], [], []
        for example in row.examples:
            unwanted += [(number, len(row_ids) + index, token) for index, token in example.unwanted if index > 0]
            row_ids += example.input_ids
            # An example's first token has nothing before it in its block: never a target
            # (otherwise the previous example's last token would be trained to predict it).
            row_labels += [IGNORE, *example.labels[1:]]
            row_positions += range(len(example))
        pad = width - len(row_ids)
        ids.append(row_ids + [pad_id] * pad)
        labels.append(row_labels + [IGNORE] * pad)
        positions.append(row_positions + list(range(pad)))
    as_tensor = lambda rows: torch.tensor(rows, dtype=torch.long)  # noqa: E731
    return {"input_ids": as_tensor(ids), "labels": as_tensor(labels), "position_ids": as_tensor(positions),
            "unwanted": torch.tensor(unwanted, dtype=torch.long).reshape(-1, 3)}
