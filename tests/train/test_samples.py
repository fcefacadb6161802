"""Training samples are decoded as the runtime decodes: greedy, with the bot's repetition penalty."""

from __future__ import annotations

import torch

from botsmith.train.samples import _SparingPenalty


def test_the_sample_penalty_is_the_runtimes_and_spares_the_end_of_turn_marker():
    scores = torch.tensor([[2.0, -1.0, 3.0, 4.0, 1.0]])
    seen = torch.tensor([[0, 1, 3, 3]])  # the prompt so far; 3 is the end-of-turn marker the template writes
    out = _SparingPenalty(2.0, stop_ids=[3])(seen, scores.clone())
    # seen tokens lose (a positive logit halved, a negative one doubled); the marker and unseen tokens keep theirs
    assert out.tolist() == [[1.0, -2.0, 3.0, 4.0, 1.0]]
