"""AdamW over fp32 master weights, whatever dtype the model computes in.

The model's trainable weights stay in the compute dtype (bf16 on a CPU with AMX),
so forward and backward never convert them; the optimizer updates fp32 copies and
writes them back after each step, so small updates are not lost to bf16 rounding.
In fp32 the masters are the parameters themselves. fp16 (older GPUs) adds dynamic
loss scaling.
"""

from __future__ import annotations

from typing import Any

import torch

from botsmith.config.train import TrainSection

NO_DECAY = ("bias", "norm", "ln_", "layernorm")


class MasterOptimizer:
    def __init__(self, model: Any, train: TrainSection, *, fp16: bool = False) -> None:
        self.named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        if not self.named:
            raise RuntimeError("no trainable parameters")
        self.masters = {name: p if p.dtype == torch.float32 else p.detach().float().clone().requires_grad_(True)
                        for name, p in self.named}
        decay = [self.masters[n] for n, _ in self.named if not any(k in n.lower() for k in NO_DECAY)]
        no_decay = [self.masters[n] for n, _ in self.named if any(k in n.lower() for k in NO_DECAY)]
        groups = [{"params": decay, "weight_decay": train.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        self.optimizer = torch.optim.AdamW([g for g in groups if g["params"]], lr=train.learning_rate,
                                           betas=(0.9, 0.999), eps=1e-8, foreach=False)
        self.max_grad_norm = train.max_grad_norm
        device = self.named[0][1].device.type
        self.scaler = torch.amp.GradScaler(device) if fp16 else None

    @property
    def trainable_count(self) -> int:
        return sum(p.numel() for _, p in self.named)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def step(self, lr: float) -> float:
        """Move gradients to the masters, clip, update, copy back; returns the gradient norm."""
        for name, p in self.named:
            master = self.masters[name]
            if master is not p:
                master.grad = None if p.grad is None else p.grad.float()
                p.grad = None
        if self.scaler:
            self.scaler.unscale_(self.optimizer)
        params = list(self.masters.values())
        norm = torch.nn.utils.clip_grad_norm_(params, self.max_grad_norm if self.max_grad_norm > 0 else float("inf"))
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.scaler:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.zero_grad()
        self.sync_model()
        return float(norm)

    def zero_grad(self) -> None:
        for name, p in self.named:
            p.grad = None
            self.masters[name].grad = None

    @torch.no_grad()
    def sync_model(self) -> None:
        for name, p in self.named:
            master = self.masters[name]
            if master is not p:
                p.copy_(master)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Masters and AdamW moments by parameter name, for an exact resume."""
        tensors = {}
        index = {id(m): n for n, m in self.masters.items()}
        for master_param, state in self.optimizer.state.items():
            name = index[id(master_param)]
            for key, value in state.items():
                tensors[f"optimizer/{name}/{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
        for name, master in self.masters.items():
            tensors[f"master/{name}"] = master.detach()
        if self.scaler and self.scaler.is_enabled():  # fp16: the loss scale it has settled on, and its growth count
            state = self.scaler.state_dict()
            tensors["scaler/scale"] = torch.tensor(state["scale"], dtype=torch.float64)
            tensors["scaler/growth_tracker"] = torch.tensor(state["_growth_tracker"], dtype=torch.int64)
        return {key: value.contiguous().cpu() for key, value in tensors.items()}

    @torch.no_grad()
    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        for name, master in self.masters.items():
            master.copy_(tensors[f"master/{name}"])
            keys = [key for key in tensors if key.startswith(f"optimizer/{name}/")]
            if keys:
                # AdamW keeps its step counter on the CPU unless it is fused/capturable.
                self.optimizer.state[master] = {
                    key.rsplit("/", 1)[-1]: tensors[key].clone() if key.endswith("/step") else tensors[key].to(master.device).clone()
                    for key in keys}
        if self.scaler and self.scaler.is_enabled() and "scaler/scale" in tensors:
            self.scaler.load_state_dict({**self.scaler.state_dict(), "scale": float(tensors["scaler/scale"]),
                                         "_growth_tracker": int(tensors["scaler/growth_tracker"])})
        self.sync_model()
