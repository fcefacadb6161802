"""Fine-tuning: one training loop; full, LoRA and QLoRA differ only in how the model is prepared.

    from botsmith.train import train
    result = train("mybot")            # -> RunResult(run_dir, best_dir, final_dir, best_val_loss, steps)
"""

from botsmith.train.api import RunResult, TrainingInterrupted, train

__all__ = ["RunResult", "TrainingInterrupted", "train"]
