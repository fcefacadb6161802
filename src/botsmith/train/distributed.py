"""Data parallel over processes started by `torchrun` or `accelerate launch`.

Both launchers set RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR; every process
builds the same model from the same seed, takes every world-th micro-batch, and the
gradients are summed across processes before each optimizer step (gloo on CPU, nccl
on CUDA). Rank 0 alone writes the run folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from botsmith.errors import BotsmithError


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.size > 1


def init_world(device: str) -> World:
    """Join the process group the launcher described, or run alone."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def sum_gradients(parameters: list[Any], world: World) -> None:
    """Sum the gradients of all processes, flattened into one message per dtype."""
    if not world.active:
        return
    import torch
    import torch.distributed as dist

    by_dtype: dict[Any, list[Any]] = {}
    for p in parameters:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        by_dtype.setdefault(p.grad.dtype, []).append(p)
    for params in by_dtype.values():
        flat = torch.cat([p.grad.reshape(-1) for p in params])
        dist.all_reduce(flat)
        offset = 0
        for p in params:
            p.grad.copy_(flat[offset:offset + p.numel()].view_as(p.grad))
            offset += p.numel()


def sum_floats(values: list[float], world: World) -> list[float]:
    if not world.active:
        return values
    import torch
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return tensor.tolist()


def broadcast(value: Any, world: World) -> Any:
    """Rank 0's value on every rank (the run folder's path, for example)."""
    if not world.active:
        return value
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(flag: bool, world: World) -> bool:
    """True on every rank when it is true on any (a stop request, for example)."""
    return bool(sum_floats([1.0 if flag else 0.0], world)[0]) if world.active else flag


def weights_agree(parameters: list[Any], world: World) -> bool:
    """Whether every process holds the same weights (a checksum compared across ranks)."""
    if not world.active:
        return True
    import torch
    import torch.distributed as dist

    checksum = torch.tensor([sum(float(p.detach().double().sum()) for p in parameters)], dtype=torch.float64)
    low, high = checksum.clone(), checksum.clone()
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    return bool(low == high)


def wait_for_all(world: World) -> None:
    """Return on every rank together: the others wait while rank 0 writes the checkpoints.

    A rank that tore its gloo connections down and exited while rank 0 was still saving once
    aborted at exit ("terminate called without an active exception"); leaving together is the
    order torch's process groups are made for. Only on the way out of a finished run: on a
    failure path a barrier could meet a peer still waiting in another collective.
    """
    if not world.active:
        return
    import torch.distributed as dist

    try:
        dist.barrier()
    except RuntimeError as error:  # rank 0 failed while saving: its own error says why
        raise BotsmithError(f"process {world.rank}: the main process stopped before the run was saved ({error})",
                            hint="see the first process's error above") from None


def shutdown(world: World) -> None:
    if world.active:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()
