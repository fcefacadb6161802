"""The optimizer's saved state brings back everything a resumed fp16 run needs, the loss scale included."""

from __future__ import annotations

import torch

from botsmith.config.train import TrainSection
from botsmith.train.optim import MasterOptimizer


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 1))


def test_fp16_loss_scale_survives_a_resume():
    model = _model()
    optimizer = MasterOptimizer(model, TrainSection(), fp16=True)
    x = torch.randn(16, 4)
    optimizer.backward(model(x).pow(2).mean())
    optimizer.step(1e-3)
    optimizer.backward(model(x).pow(2).mean() * float("inf"))  # an overflow: the scaler backs off
    optimizer.step(1e-3)
    scale = optimizer.scaler.get_scale()
    assert scale < 65536.0
    saved = optimizer.state_tensors()

    resumed = MasterOptimizer(_model(), TrainSection(), fp16=True)
    resumed.load_state_tensors(saved)
    assert resumed.scaler.get_scale() == scale
    assert resumed.scaler.state_dict()["_growth_tracker"] == optimizer.scaler.state_dict()["_growth_tracker"]
    for (name, ours), (_, theirs) in zip(resumed.named, optimizer.named):
        assert torch.equal(ours, theirs), name


def test_without_fp16_no_scaler_state_is_saved():
    optimizer = MasterOptimizer(_model(), TrainSection())
    assert not any(key.startswith("scaler/") for key in optimizer.state_tensors())
