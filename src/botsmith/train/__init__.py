"""Fine-tuning: one training loop; full, LoRA and QLoRA differ only in how the model is prepared.

    from botsmith.train import train
    result = train("mybot")            # -> RunResult(run_dir, best_dir, final_dir, best_val_loss, steps)
"""

from botsmith.callable_module import make_callable
from botsmith.train.api import RunResult, TrainingInterrupted, train

make_callable(__name__, "train")  # botsmith.train(...) stays the function after this package is imported

__all__ = ["RunResult", "TrainingInterrupted", "train"]
