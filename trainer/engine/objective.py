"""The loss for a dataset and its settings, and evaluation over a split in eval mode."""
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .points import Meter

EVAL_BATCH = 1024


class Objective:
    """The loss for the dataset and config, and whether accuracy means anything."""

    def __init__(self, arrays, config):
        self.num_classes = arrays.num_classes
        self.mse = config.loss == "mse"
        self.probabilities = config.output_is_probability and not self.mse

    def target(self, y) -> torch.Tensor:
        return y.long() if self.num_classes and not self.mse else y.float()

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.mse:
            if self.num_classes and out.shape[-1] == self.num_classes and out.dim() == 2:
                y = F.one_hot(y.long(), self.num_classes)  # class labels as one-hot targets
            return F.mse_loss(out.float(), y.float().reshape(out.shape))
        if self.probabilities:
            return F.nll_loss(torch.log(out.float().clamp_min(1e-12)), y)
        return F.cross_entropy(out.float(), y)

    def correct(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor | int | None:
        """How many predictions hit their label: a device tensor on CUDA (no sync), an int on the CPU."""
        if not self.num_classes:
            return None
        if out.device.type == "cpu":  # numpy's argmax costs a third of three torch dispatches on a small batch
            return int(np.count_nonzero(out.detach().numpy().argmax(-1) == y.numpy()))
        return (out.argmax(-1) == y).sum()


@torch.no_grad()
def evaluate(model, x, y, objective: Objective, autocast, prepare: Callable = lambda xb: xb) -> tuple[float | None, float | None, list | None]:
    """Loss, accuracy and confusion matrix over (x, y) in eval mode; Nones when there is no data."""
    if len(x) == 0:
        return None, None, None
    was_training = model.training
    model.eval()
    meter = Meter(x.device.type == "cuda")
    k = objective.num_classes
    cells = torch.zeros(k * k, dtype=torch.long, device=x.device) if k else None
    for i in range(0, len(x), EVAL_BATCH):
        xb, yb = prepare(x[i:i + EVAL_BATCH]), y[i:i + EVAL_BATCH]
        with autocast():
            out = first(model(xb))
        meter.add(objective(out, yb), objective.correct(out, yb), len(xb))
        if k:
            pred, true = out.argmax(-1).reshape(-1), yb.long().reshape(-1)
            ok = pred < k
            cells += torch.bincount(true[ok] * k + pred[ok], minlength=k * k)
    model.train(was_training)
    loss, acc = meter.read()
    return loss, acc, cells.reshape(k, k).tolist() if k else None


def first(out):
    """A design with several outputs trains on its first one."""
    return out[0] if isinstance(out, (tuple, list)) else out
