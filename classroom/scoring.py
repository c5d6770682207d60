"""Scores on the lab's hidden test set, computed by the worker after training.

The run's result loses everything computed over the whole test split (loss, accuracy, confusion
matrix, per-sample predictions): a student only learns an accuracy on each part."""
import numpy as np
import torch

from .rules import hidden_split

HIDDEN_KEYS = ("test_loss", "test_accuracy", "confusion_matrix", "samples")
BATCH = 1024


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) == 0:
        return None
    was_training = model.training
    model.eval()
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    correct = 0
    for i in range(0, len(x), BATCH):
        out = model(torch.as_tensor(x[i:i + BATCH]).to(device))
        out = out[0] if isinstance(out, (tuple, list)) else out
        correct += int((out.float().argmax(-1).cpu() == torch.as_tensor(y[i:i + BATCH]).long()).sum())
    model.train(was_training)
    return correct / len(x)


def finish_lab_result(run, model: torch.nn.Module, arrays, result: dict) -> dict:
    """`result` with score_public and score_private added and the hidden split's details removed."""
    public, private = hidden_split(len(arrays.y_test), run.lab.public_fraction)
    out = {k: v for k, v in result.items() if k not in HIDDEN_KEYS}
    out["score_public"] = accuracy(model, arrays.x_test[public], arrays.y_test[public])
    out["score_private"] = accuracy(model, arrays.x_test[private], arrays.y_test[private])
    out["params"] = sum(p.numel() for p in model.parameters())
    return out


def hide_private(result: dict | None) -> dict | None:
    if not isinstance(result, dict) or "score_private" not in result:
        return result
    return {k: v for k, v in result.items() if k != "score_private"}
