"""The training loss, computed without materialising full-vocabulary logits for every position.

A causal LM's usual loss builds (batch x length x vocab) logits, upcasts them to fp32
and runs log-softmax and its backward over all of them: for a 49k vocabulary that is
most of a LoRA step on a CPU. Here the decoder's hidden states are taken only at
positions that have a target, and `FusedLinearCrossEntropy` runs the output layer in
chunks: each chunk's logits exist briefly (matmul in the model's dtype, logsumexp in
fp32) and the gradient with respect to the hidden states (and the output weight, when
it is trained) is computed right there, so the backward pass only scales it.

Tokens a rejected reply would start with (data.py) add -log(1 - p) at their place, p
the probability of those tokens there (unlikelihood, Welleck et al. 2019): a handful of
places a batch, whose logits are computed alone by ordinary autograd.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from botsmith.train.data import IGNORE

CHUNK_ROWS = 128  # positions per output-layer chunk: fp32 logits of a chunk stay small; measured fastest on AMX
# The probe's limit for the loss and its hidden-state gradient, at least: that gradient sums every vocabulary row, and
# the terms cancel. In float32 on an AVX2 CPU (AMD EPYC, SmolLM2's 49,152 rows) the model's own path is itself 1.9e-4
# of its range off a float64 computation, the fused one 2.8e-4, and the two differ by 1.05e-4: more than float32's
# 1e-4 for kernels that sum a few thousand terms, which had refused the fused loss there. A wrong kernel is off by 1e-2
# and more (tests/train/test_kernel_probes.py).
VOCABULARY_TOLERANCE = 1e-3


class FusedLinearCrossEntropy(torch.autograd.Function):
    """sum_i CE(hidden_i @ weight.T, target_i), with gradients computed during the forward."""

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        rows, vocab = hidden.shape[0], weight.shape[0]
        grad_hidden = torch.empty_like(hidden)
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if ctx.needs_input_grad[1] else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        # One set of chunk buffers, reused: fresh 25 MB buffers per chunk cost page faults on every chunk.
        width = min(CHUNK_ROWS, rows)
        logits = torch.empty((width, vocab), dtype=hidden.dtype, device=hidden.device)
        log_probs = torch.empty((width, vocab), dtype=torch.float32, device=hidden.device)
        probs = torch.empty((width, vocab), dtype=hidden.dtype, device=hidden.device)
        for start in range(0, rows, CHUNK_ROWS):
            chunk, target = hidden[start:start + CHUNK_ROWS], targets[start:start + CHUNK_ROWS]
            count = len(target)
            torch.mm(chunk, weight.T, out=logits[:count])
            # log-softmax in fp32 in one fused pass (a logsumexp of its own would be four passes).
            chunk_log_probs = log_probs[:count].copy_(logits[:count])
            torch._log_softmax(chunk_log_probs, -1, False, out=chunk_log_probs)
            target_log_probs = chunk_log_probs.gather(1, target[:, None]).squeeze(1)
            total -= target_log_probs.sum()
            # d(loss)/d(logits) = softmax - onehot: softmax rounded once into the compute dtype, and the
            # target entries (p - 1, near 0 for confident tokens) computed in fp32 before rounding.
            # (exp in place in fp32, then one rounding copy: exp writing bf16 directly is ~10x slower on CPU)
            chunk_probs = probs[:count].copy_(chunk_log_probs.exp_())
            chunk_probs[torch.arange(count, device=probs.device), target] = \
                target_log_probs.exp().sub_(1.0).to(chunk_probs.dtype)
            torch.mm(chunk_probs, weight, out=grad_hidden[start:start + CHUNK_ROWS])
            if grad_weight is not None:
                grad_weight += (chunk_probs.T @ chunk).float()
        ctx.save_for_backward(grad_hidden, grad_weight if grad_weight is not None else torch.empty(0))
        ctx.weight_dtype = weight.dtype
        return total

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        grad_hidden, grad_weight = ctx.saved_tensors
        scale = grad_output.to(grad_hidden.dtype)
        weight_grad = (grad_weight * grad_output).to(ctx.weight_dtype) if ctx.needs_input_grad[1] else None
        return grad_hidden * scale, weight_grad, None


class LossComputer:
    """Sum of token losses of a batch for one causal LM, by the fastest path it supports.

    `fused=False` (`[train] cpu_kernels = false`) always takes the model's own logits. The fused path
    is taken only after a probe found it giving the model's own loss and gradient; where it does not,
    `self.failure` says why.
    """

    def __init__(self, model: Any, *, fused: bool = True, rejected_weight: float = 1.0) -> None:
        self.model = model
        self.rejected_weight = rejected_weight  # of the unlikelihood of unwanted tokens; training passes [train]'s
        self.lm = _causal_lm(model)
        self.decoder = getattr(self.lm, self.lm.base_model_prefix, None)
        head = self.lm.get_output_embeddings()
        # The fused path needs a plain linear head applied directly to the decoder's output; the probe
        # finds heads that scale or soft-cap logits (Gemma, Cohere), which use the model's own forward.
        plain = type(head) is torch.nn.Linear and head.bias is None and self.decoder is not None
        self.head = head if fused and plain else None
        self.failure: str | None = self._probe() if self.head is not None else None
        if self.failure:
            self.head = None

    def _probe(self) -> str | None:
        """None when the fused loss equals cross-entropy over the model's own logits (value and hidden-state gradient)."""
        from botsmith.train.probe import difference, outputs_and_grads, probing, tolerance

        weight = self.head.weight
        ids = torch.tensor([[1, 2, 3, 4, 5, 6]], device=weight.device) % weight.shape[0]
        positions = torch.arange(ids.shape[1], device=weight.device)[None]
        was_training = self.model.training
        self.model.eval()
        try:
            with probing(), torch.no_grad():
                hidden = self.decoder(input_ids=ids, position_ids=positions, use_cache=False).last_hidden_state[0]
                own = self.lm(input_ids=ids, position_ids=positions, use_cache=False).logits[0]
            targets = ids[0].roll(-1)
            leaf = hidden.detach().requires_grad_(True)
            ours = outputs_and_grads(lambda: FusedLinearCrossEntropy.apply(leaf, weight, targets), [leaf])
            theirs = outputs_and_grads(lambda: F.cross_entropy(self.head(leaf).float(), targets, reduction="sum"), [leaf])
        except Exception as error:
            return f"the probe raised {type(error).__name__}: {error}"
        finally:
            self.model.train(was_training)
        dtype = weight.dtype
        return difference([self.head(hidden).float()], [own.float()], dtype, ["the head's logits vs the model's"]) \
            or difference(ours, theirs, dtype, ["loss", "hidden-state gradient"],
                          limit=max(tolerance(dtype), VOCABULARY_TOLERANCE))

    def __call__(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        targets = batch["labels"][:, 1:]
        mask = targets != IGNORE
        unwanted = batch.get("unwanted")
        if self.head is None:
            return self._reference(batch, targets, mask, unwanted)
        hidden = self.decoder(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                              use_cache=False).last_hidden_state
        selected = hidden[:, :-1][mask]
        if not torch.is_grad_enabled():  # evaluation: the same sum, without gradients
            loss = _chunked_loss(selected, self.head.weight, targets[mask])
        else:
            loss = FusedLinearCrossEntropy.apply(selected, self.head.weight, targets[mask])
        return self._with_rejected(loss, unwanted, lambda rows, index: hidden[rows, index] @ self.head.weight.T)

    def _reference(self, batch, targets, mask, unwanted) -> torch.Tensor:
        logits = self.model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
        loss = F.cross_entropy(logits[:, :-1][mask].float(), targets[mask], reduction="sum")
        return self._with_rejected(loss, unwanted, lambda rows, index: logits[rows, index])

    def _with_rejected(self, loss: torch.Tensor, unwanted: torch.Tensor | None, logits_at: Any) -> torch.Tensor:
        """`loss` plus the weighted unlikelihood of the batch's unwanted tokens; `logits_at(rows, index)` gives the
        logits computed at those places."""
        if unwanted is None or not len(unwanted) or not self.rejected_weight:
            return loss
        places, which = torch.unique(unwanted[:, :2], dim=0, return_inverse=True)
        # the position before a place predicts its token
        logits = logits_at(places[:, 0], places[:, 1] - 1)
        return loss + self.rejected_weight * unlikelihood(logits, which, unwanted[:, 2])


def unlikelihood(logits: torch.Tensor, which: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Sum over places of -log(1 - p), p the probability of the tokens unwanted there. `logits` has one row a place;
    token i is unwanted at place which[i]. log(1 - p) is taken as the logsumexp of the other tokens' log-probabilities,
    which stays exact (and keeps its gradient) where p nears 1."""
    log_probs = torch.log_softmax(logits.float(), -1)
    kept = log_probs.index_put((which, tokens), torch.tensor(float("-inf"), device=logits.device))
    return -torch.logsumexp(kept, -1).sum()


def _chunked_loss(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    total = torch.zeros((), dtype=torch.float32, device=hidden.device)
    for start in range(0, hidden.shape[0], CHUNK_ROWS):
        logits = (hidden[start:start + CHUNK_ROWS] @ weight.T).float()
        total += F.cross_entropy(logits, targets[start:start + CHUNK_ROWS], reduction="sum")
    return total


def _causal_lm(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (LoRA layers are injected into it in place)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model
