"""Checkpoints: a run stopped part-way and resumed takes exactly the steps the uninterrupted run took."""
import io

import pytest
import torch
from torch import nn

from trainer.datasets import Arrays
from trainer.engine import TrainConfig, train
from trainer.engine.checkpoint import remaining_epochs

SETTINGS = dict(device="cpu", batch_size=32, lr=0.01, seed=3, lr_schedule="onecycle", grad_clip=1.0)


def net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 10))


def small(digits) -> Arrays:
    return Arrays(digits.x_train[:400], digits.y_train[:400], digits.x_test[:50], digits.y_test[:50],
                  digits.classes, {"kind": "image", "name": "digits"})


def roundtrip(state: dict) -> dict:
    """What a worker reads back after torch.save: the state must survive it."""
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=False)


def train_points(events):
    return [(e["step"], e["loss"], e["lr"]) for e in events if e["split"] == "train"]


def test_it_resumes_mid_epoch_bit_for_bit(digits):
    data = small(digits)  # 360 train samples: 12 steps an epoch
    whole, whole_events = net(), []
    train(whole, data, TrainConfig(epochs=3, augment_crop=1, augment_flip=True, **SETTINGS),
          on_event=whole_events.append)

    states, calls = [], []
    first = net()
    stopped = train(first, data, TrainConfig(epochs=3, augment_crop=1, augment_flip=True, **SETTINGS),
                    should_stop=lambda: calls.append(1) or len(calls) > 17, on_checkpoint=states.append)
    assert stopped.status == "cancelled" and stopped.steps == 17
    assert [(s["epoch"], s["position"]) for s in states] == [(1, 0), (1, 5 * 32)]  # epoch 1's end, then the stop
    state = roundtrip(states[-1])
    assert remaining_epochs(state) == 2

    resumed, events = net(), []
    result = train(resumed, data, TrainConfig(epochs=remaining_epochs(state), augment_crop=1, augment_flip=True,
                                              **SETTINGS), on_event=events.append, resume_from=state)
    points = train_points(events)
    assert points[0] == train_points(whole_events)[17]  # step 18: the same loss, at the same learning rate
    assert points == train_points(whole_events)[17:]
    assert result.epochs == 3 and result.steps == 36 and events[0]["total_steps"] == 36
    assert all(torch.equal(a, b) for a, b in zip(whole.state_dict().values(), resumed.state_dict().values()))


def test_it_trains_n_more_epochs_from_an_epoch_end(digits):
    data = small(digits)
    states = []
    model = net()
    train(model, data, TrainConfig(epochs=2, **SETTINGS), on_checkpoint=states.append)
    assert [s["epoch"] for s in states] == [1, 2] and states[-1]["step"] == 24
    events = []
    result = train(net(), data, TrainConfig(epochs=3, **SETTINGS), on_event=events.append,
                   resume_from=roundtrip(states[-1]))
    steps = [e["step"] for e in events if e["split"] == "train"]
    assert steps[0] == 25 and steps[-1] == 60 and result.steps == 60 and result.epochs == 5
    assert [e["epoch"] for e in events if e["split"] == "val"] == [3, 4, 5]
    # A new plan: onecycle warms up again over the 36 new steps.
    lrs = [e["lr"] for e in events if e["split"] == "train"]
    assert lrs[0] == pytest.approx(0.01 / 25) and max(lrs) == pytest.approx(0.01, rel=0.05)


def test_it_continues_a_step_schedule_across_a_resume(digits):
    data = small(digits)
    options = dict(SETTINGS, lr_schedule="step", lr_step_epochs=1, lr_gamma=0.5)
    states = []
    train(net(), data, TrainConfig(epochs=2, **options), on_checkpoint=states.append)
    events = []
    train(net(), data, TrainConfig(epochs=1, **options), on_event=events.append, resume_from=states[-1])
    assert {e["lr"] for e in events if e["split"] == "train"} == {0.01 * 0.25}


def test_it_keeps_the_early_stop_counter_in_a_checkpoint(digits):
    data = small(digits)
    states = []
    train(net(), data, TrainConfig(epochs=2, early_stop_patience=3, **SETTINGS), on_checkpoint=states.append)
    assert set(states[-1]["early_stop"]) == {"best", "bad"} and states[-1]["early_stop"]["best"] is not None


@pytest.mark.parametrize("on_device", [False] + ([True] if torch.cuda.is_available() else []))
def test_it_carries_a_partly_filled_train_point_over(on_device):
    from trainer.engine.points import Meter

    meter = Meter(on_device)
    assert meter.snapshot() == [0.0, 0, 0, False]  # empty, as at most epoch ends
    device = "cuda" if on_device else "cpu"
    meter.add(torch.tensor(2.0, device=device), torch.tensor(3, device=device) if on_device else 3, 4)
    again = Meter(on_device)
    again.restore(meter.snapshot())
    again.add(torch.tensor(1.0, device=device), torch.tensor(1, device=device) if on_device else 1, 4)
    assert again.read() == (pytest.approx(1.5), pytest.approx(0.5))  # (2*4 + 1*4) / 8, (3 + 1) / 8


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_it_checkpoints_and_resumes_uint8_images_on_cuda():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(300, 3, 8, 8), dtype=np.uint8)
    y = (x[:, 0].mean(axis=(1, 2)) > 127).astype(np.int64)
    data = Arrays(x[:250], y[:250], x[250:], y[250:], ["dark", "bright"], {"kind": "image", "name": "px"})

    def model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 2))

    options = dict(device="cuda", batch_size=32, augment_crop=2, augment_flip=True, lr_schedule="cosine")
    states, calls = [], []
    first = train(model(), data, TrainConfig(epochs=3, **options), on_checkpoint=states.append,
                  should_stop=lambda: calls.append(1) or len(calls) > 10)
    assert first.status == "cancelled" and first.normalization["scale"] == 1 / 255
    state = roundtrip(states[-1])
    assert state["rng"]["cuda"] and state["optimizer"]["state"][0]["exp_avg"].device.type == "cpu"
    events = []
    result = train(model(), data, TrainConfig(epochs=remaining_epochs(state), **options), on_event=events.append,
                   resume_from=state)
    steps = [e["step"] for e in events if e["split"] == "train"]
    assert steps[0] == 11 and result.epochs == 3 and result.steps == 3 * 8 and result.device.startswith("cuda")
