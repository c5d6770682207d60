"""Learning-rate schedules, early stopping and gradient clipping, run for real on the CPU."""
import math

import pytest
import torch
from torch import nn

from trainer.datasets import Arrays
from trainer.engine import TrainConfig, train


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def small(digits, n: int = 330) -> Arrays:
    # 330 samples, 33 held out: 297 to train, 10 steps of 32 an epoch (the last one 9)
    return Arrays(digits.x_train[:n], digits.y_train[:n], digits.x_test[:50], digits.y_test[:50], digits.classes,
                  {"kind": "image"})


def lrs(digits, **options) -> list[float]:
    events = []
    train(mlp(), small(digits), TrainConfig(device="cpu", batch_size=32, lr=0.1, **options), on_event=events.append)
    return [e["lr"] for e in events if e["split"] == "train"]


def test_it_keeps_a_constant_rate(digits):
    assert set(lrs(digits, epochs=2)) == {0.1}


def test_it_steps_the_rate_down_every_few_epochs(digits):
    rates = lrs(digits, epochs=5, lr_schedule="step", lr_step_epochs=2, lr_gamma=0.5)
    per_epoch = [rates[i * 10] for i in range(5)]
    assert per_epoch == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert len(set(rates[:10])) == 1  # constant within an epoch


def test_it_anneals_the_rate_along_a_cosine_every_step(digits):
    rates = lrs(digits, epochs=2, lr_schedule="cosine")  # 20 steps
    expected = [0.05 * (1 + math.cos(math.pi * s / 20)) for s in range(20)]
    assert rates == pytest.approx(expected, abs=1e-9)


def test_it_warms_up_and_cools_down_with_onecycle(digits):
    rates = lrs(digits, epochs=4, lr_schedule="onecycle")  # 40 steps: the peak at 30% of them
    peak = rates.index(max(rates))
    assert rates[0] == pytest.approx(0.1 / 25) and max(rates) == pytest.approx(0.1, rel=1e-3)
    assert 10 <= peak <= 12 and rates[-1] < 1e-4
    assert rates[:peak] == sorted(rates[:peak]) and rates[peak:] == sorted(rates[peak:], reverse=True)


def test_it_stops_early_when_validation_loss_stops_falling(digits):
    # A learning rate far too high: the validation loss soon stops improving.
    events = []
    result = train(mlp(), small(digits), TrainConfig(device="cpu", epochs=40, lr=5.0, optimizer="sgd",
                                                     early_stop_patience=2), on_event=events.append)
    val = [e["loss"] for e in events if e["split"] == "val"]
    assert result.stopped_early and result.stopped_epoch == result.epochs == len(val) < 40
    best = val.index(min(val))
    assert len(val) == best + 3  # two epochs after the best, none of them lower
    assert result.status == "succeeded"


def test_it_runs_every_epoch_when_early_stopping_is_off(digits):
    result = train(mlp(), small(digits), TrainConfig(device="cpu", epochs=6, lr=5.0, optimizer="sgd"))
    assert result.epochs == 6 and not result.stopped_early and result.stopped_epoch is None


def test_it_clips_the_gradient_norm(digits):
    """One sgd step without momentum moves the weights by lr * gradient: clipped, its norm is the clip."""
    data = small(digits, 33)  # one batch of 32 after the validation split's 3
    before, clipped = mlp(), mlp()
    train(clipped, data, TrainConfig(device="cpu", epochs=1, batch_size=64, lr=1.0, optimizer="sgd", momentum=0,
                                     grad_clip=0.01, normalize="off"))
    step = torch.cat([(b - a).flatten() for a, b in zip(before.parameters(), clipped.parameters())])
    assert step.norm().item() == pytest.approx(0.01, rel=1e-4)
    unclipped = mlp()
    train(unclipped, data, TrainConfig(device="cpu", epochs=1, batch_size=64, lr=1.0, optimizer="sgd", momentum=0,
                                       normalize="off"))
    step = torch.cat([(b - a).flatten() for a, b in zip(before.parameters(), unclipped.parameters())])
    assert step.norm().item() > 0.05
