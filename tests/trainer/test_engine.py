"""The training loop, run for real on the CPU: it learns, repeats itself, stops, reports."""
import numpy as np
import pytest
import torch
from torch import nn

from trainer.datasets import Arrays
from trainer.engine import SOFTMAX_NOTE, TrainConfig, TrainResult, train


def mlp(seed: int = 0, softmax: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)]
    return nn.Sequential(*layers, *([nn.Softmax(dim=-1)] if softmax else []))


def run(model, arrays, **options) -> tuple[TrainResult, list[dict]]:
    events = []
    result = train(model, arrays, TrainConfig(device="cpu", **options), on_event=events.append)
    return result, events


def test_it_learns_digits_well_above_chance(digits):
    result, events = run(mlp(), digits, epochs=5, lr=0.01)
    assert result.status == "succeeded" and result.epochs == 5
    assert result.test_accuracy > 0.8
    matrix = np.array(result.confusion_matrix)
    assert matrix.shape == (10, 10) and matrix.sum() == digits.test_size
    assert np.trace(matrix) / digits.test_size == pytest.approx(result.test_accuracy)
    assert result.samples_per_s > 0 and result.seconds > 0 and result.device == "cpu"
    train_points = [e for e in events if e["split"] == "train"]
    assert train_points[-1]["loss"] < train_points[0]["loss"]


def test_it_sends_train_points_and_a_val_point_per_epoch(digits):
    result, events = run(mlp(), digits, epochs=3, batch_size=100)
    steps_per_epoch = -(-(digits.train_size - int(digits.train_size * 0.1)) // 100)
    assert [e["step"] for e in events if e["split"] == "train"] == list(range(1, 3 * steps_per_epoch + 1))
    val = [e for e in events if e["split"] == "val"]
    assert [e["epoch"] for e in val] == [1, 2, 3] and all(0 <= e["accuracy"] <= 1 for e in val)
    first = events[0]
    assert set(first) == {"type", "epoch", "step", "total_steps", "split", "loss", "accuracy", "samples_per_s", "time",
                          "lr"}
    assert all(e["lr"] == 0.001 for e in events if e["split"] == "train")
    assert first["type"] == "metric" and first["total_steps"] == 3 * steps_per_epoch
    assert result.steps == 3 * steps_per_epoch and result.val_accuracy == val[-1]["accuracy"]


def test_it_repeats_a_run_exactly_with_the_same_seed(digits):
    a, b = mlp(), mlp()
    ra, ea = run(a, digits, epochs=2, seed=7)
    rb, eb = run(b, digits, epochs=2, seed=7)
    strip = lambda events: [{k: v for k, v in e.items() if k not in ("time", "samples_per_s")} for e in events]
    assert strip(ea) == strip(eb) and ra.test_loss == rb.test_loss
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    _, ec = run(mlp(), digits, epochs=2, seed=8)
    assert strip(ec) != strip(ea)


def test_it_stops_when_asked_and_keeps_what_it_trained(digits):
    calls = []
    model = mlp()
    before = model[1].weight.detach().clone()
    result = train(model, digits, TrainConfig(epochs=50, device="cpu"),
                   should_stop=lambda: calls.append(1) or len(calls) > 30)
    assert result.status == "cancelled" and result.steps == 30 and result.epochs == 1
    assert result.test_accuracy is not None and not torch.equal(model[1].weight, before)


def test_it_fits_a_regression_with_mse():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 3)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5]) + 0.3).astype(np.float32)
    arrays = Arrays(x[:500], y[:500], x[500:], y[500:], [], {"kind": "features", "name": "line"})
    torch.manual_seed(0)
    result, events = run(nn.Linear(3, 1), arrays, epochs=30, lr=0.05, loss="mse")
    assert result.test_accuracy is None and result.confusion_matrix is None
    assert all(e["accuracy"] is None for e in events)
    assert result.test_loss < 0.01 < events[0]["loss"]


def test_it_trains_a_design_ending_in_softmax_without_softmaxing_twice(digits):
    result, _ = run(mlp(softmax=True), digits, epochs=5, lr=0.01, output_is_probability=True)
    assert result.test_accuracy > 0.8 and result.notes == [SOFTMAX_NOTE]
    plain, _ = run(mlp(), digits, epochs=1)
    assert plain.notes == []


def test_it_matches_cross_entropy_when_given_probabilities(digits):
    # log(softmax(z)) + NLL is cross-entropy on z: both paths take identical steps.
    a, b = mlp(), mlp(softmax=True)
    _, ea = run(a, digits, epochs=1)
    _, eb = run(b, digits, epochs=1, output_is_probability=True)
    assert [e["loss"] for e in ea] == pytest.approx([e["loss"] for e in eb], rel=1e-4)


def test_it_keeps_train_points_bounded_on_a_long_run(digits):
    small = Arrays(digits.x_train[:100], digits.y_train[:100], digits.x_test[:10], digits.y_test[:10],
                   digits.classes, {})
    result, events = run(mlp(), small, epochs=25, batch_size=1)  # 90 steps an epoch, 2,250 in all
    train_points = [e for e in events if e["split"] == "train"]
    assert result.steps == 2250 and len(train_points) == 750  # one point every 3 steps
    assert [e["step"] for e in train_points[:3]] == [3, 6, 9] and train_points[-1]["step"] == 2250
    assert len([e for e in events if e["split"] == "val"]) == 25


def test_it_trains_without_a_validation_split(digits):
    result, events = run(mlp(), digits, epochs=1, val_fraction=0)
    assert all(e["split"] == "train" for e in events) and result.val_loss is None
    assert events[-1]["step"] == -(-digits.train_size // 64)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_it_trains_with_each_optimizer(digits, optimizer):
    result, _ = run(mlp(), digits, epochs=3, optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.01,
                    weight_decay=1e-4)
    assert result.test_accuracy > 0.6


def test_it_returns_a_json_ready_result(digits):
    import json

    result, _ = run(mlp(), digits, epochs=1)
    out = json.loads(json.dumps(result.as_dict()))
    assert {"status", "epochs", "test_loss", "test_accuracy", "confusion_matrix", "samples_per_s", "seconds",
            "device", "notes"} <= set(out)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_it_trains_on_cuda_with_bf16_autocast(digits):
    events = []
    model = mlp()
    result = train(model, digits, TrainConfig(epochs=5, lr=0.01, device="cuda"), on_event=events.append)
    assert result.device.startswith("cuda") and result.test_accuracy > 0.8
    assert next(model.parameters()).dtype == torch.float32  # autocast leaves the weights in float32
    train_steps = [e["step"] for e in events if e["split"] == "train"]
    assert train_steps == sorted(train_steps) and train_steps[-1] == result.steps  # deferred points stay in order
    assert [e["split"] for e in events].count("val") == 5
