"""X-ray: per-block statistics against hand computations, and the loop sending them."""
import math

import pytest
import torch
from torch import nn

from trainer.engine import TrainConfig, train
from trainer.engine.job import build_job
from trainer.engine.xray import Xray, activation_stats, activations, feature_maps

from .test_engine_settings import DIGITS_MLP

TINY_CNN = {
    "format": "layerlab.graph/1", "name": "tiny-cnn",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "conv", "type": "Conv2d", "inputs": ["image"], "params": {"out_channels": 6, "kernel_size": 3}},
        {"id": "act", "type": "ReLU", "inputs": ["conv"]},
        {"id": "flat", "type": "Flatten", "inputs": ["act"]},
        {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}},
    ],
}


def test_it_computes_mean_population_std_and_zero_fraction():
    stats = activation_stats(torch.tensor([[-1.0, 0.0, 2.0, 3.0]]))
    # mean 4/4 = 1; squared deviations 4, 1, 1, 4 -> variance 10/4
    assert stats == {"mean": 1.0, "std": pytest.approx(math.sqrt(2.5)), "zeros": 0.25, "dead": 0.25}


def test_it_counts_a_unit_dead_only_when_it_is_zero_for_every_sample():
    stats = activation_stats(torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]))
    assert stats["zeros"] == pytest.approx(4 / 6) and stats["dead"] == pytest.approx(1 / 3)


def test_it_quantises_feature_maps_between_their_own_min_and_max():
    value = torch.tensor([[[[0.0, 1.0], [2.0, 4.0]], [[5.0, 5.0], [5.0, 5.0]]]])
    # (x - 0) / 4 * 255: 0, 63.75, 127.5, 255 -> rounded; a constant map is zeros
    assert feature_maps(value) == [[[0, 64], [128, 255]], [[0, 0], [0, 0]]]


def test_it_pools_large_maps_to_at_most_16_and_keeps_4_channels():
    value = torch.zeros(2, 6, 32, 20)
    value[0, :, :16] = 1.0  # top half bright
    maps = feature_maps(value)
    assert len(maps) == 4 and len(maps[0]) == 16 and len(maps[0][0]) == 16
    assert maps[0][0][0] == 255 and maps[0][15][15] == 0


def test_it_records_grad_norm_update_ratio_and_activations_of_one_sgd_step():
    lin = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        lin.weight.fill_(2.0)
    model = nn.Sequential(lin, nn.ReLU())
    events = []
    xray = Xray(min_interval=0)
    xray.begin(model, torch.tensor([[1.0], [-1.0]]), steps=5, emit=events.append)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.tensor([[3.0]])).sum().backward()  # d(relu(3w))/dw = 3
    xray.after_backward(1)
    optimizer.step()  # w: 2 - 0.1 * 3 = 1.7
    xray.after_step(1, epoch=1)
    [event] = events
    assert event["type"] == "layers" and event["step"] == 1 and event["epoch"] == 1
    lin_stats, relu_stats = event["blocks"]["0"], event["blocks"]["1"]
    assert lin_stats["grad"] == {"weight": pytest.approx(3.0)} and lin_stats["grad_norm"] == pytest.approx(3.0)
    assert lin_stats["update"] == {"weight": pytest.approx(0.3 / 2)} and lin_stats["update_ratio"] == pytest.approx(0.15)
    # the probe after the step: linear gives 1.7, -1.7; relu 1.7, 0
    assert lin_stats["mean"] == pytest.approx(0.0) and lin_stats["std"] == pytest.approx(1.7)
    assert lin_stats["zeros"] == 0.0 and lin_stats["dead"] == 0.0
    assert relu_stats == {"mean": pytest.approx(0.85), "std": pytest.approx(0.85), "zeros": 0.5, "dead": 0.0}


def test_it_sees_every_design_node_of_a_compiled_model_including_relu():
    job = build_job(TINY_CNN, _images(), {"device": "cpu"})
    x = torch.randn(3, 1, 8, 8)
    values = activations(job.model, x)
    assert set(values) == {"conv", "act", "flat", "logits"}
    conv = job.model.get_submodule("conv")
    assert torch.equal(values["conv"], conv(x)) and torch.equal(values["act"], conv(x).relu())


def test_it_sends_layers_messages_from_the_loop_with_maps_for_convolutions():
    job = build_job(TINY_CNN, _images(), {"device": "cpu", "epochs": 2, "batch_size": 8})
    events = []
    job.train(on_event=events.append, observer=Xray(min_every=3, min_interval=0))
    layers = [e for e in events if e["type"] == "layers"]
    assert [e["step"] for e in layers] == [1, 3, 6, 9, 12, 15, 18, 21, 24]  # 12 steps an epoch, every 3
    last = layers[-1]["blocks"]
    assert set(last) == {"conv", "act", "flat", "logits"}
    assert len(last["conv"]["maps"]) == 4 and len(last["conv"]["maps"][0]) == 6  # 8x8 -> 6x6, not pooled
    assert "maps" not in last["act"] and "grad" not in last["act"]
    assert set(last["logits"]["grad"]) == {"weight", "bias"} and last["logits"]["update_ratio"] > 0
    assert 0 <= last["act"]["zeros"] <= 1


def test_it_caps_the_messages_of_a_long_run_and_leaves_the_training_unchanged():
    data = _images()
    torch.manual_seed(0)
    make = lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.5),
                                 nn.Linear(16, 10))
    plain, watched = make(), make()  # the probe runs in eval mode: dropout draws nothing, batch norm learns nothing
    watched.load_state_dict(plain.state_dict())
    config = dict(device="cpu", epochs=2, batch_size=2)  # 45 steps an epoch
    events = []
    train(plain, data, TrainConfig(**config))
    train(watched, data, TrainConfig(**config), on_event=events.append,
          observer=Xray(max_messages=10, min_every=1, min_interval=0))
    layers = [e["step"] for e in events if e["type"] == "layers"]
    assert layers == [1] + list(range(9, 91, 9))  # every ceil(90 / 10) = 9 steps
    assert all(torch.equal(p, q) for p, q in zip(plain.state_dict().values(), watched.state_dict().values()))


def test_it_sends_no_layers_messages_with_xray_off():
    job = build_job(TINY_CNN, _images(), {"device": "cpu", "epochs": 1, "batch_size": 8, "xray": False})
    assert job.xray() is None
    events = []
    job.train(on_event=events.append, observer=job.xray())
    assert events and not [e for e in events if e["type"] == "layers"]
    assert build_job(TINY_CNN, _images(), {"device": "cpu"}).xray() is not None  # on by default


def _images():
    from trainer.datasets import Arrays
    import numpy as np

    rng = np.random.default_rng(0)
    return Arrays(x_train=rng.random((100, 1, 8, 8), dtype=np.float32), y_train=rng.integers(0, 10, 100),
                  x_test=rng.random((20, 1, 8, 8), dtype=np.float32), y_test=rng.integers(0, 10, 20),
                  classes=[str(i) for i in range(10)], meta={"kind": "image"})


def test_it_passes_layers_messages_through_the_point_throttle_unchanged_and_in_order():
    from trainer.engine.throttle import PointThrottle

    sent, now = [], [0.0]
    throttle = PointThrottle(sent.append, 0.1, lambda: now[0])
    train_point = {"type": "metric", "split": "train", "epoch": 1, "step": 1, "loss": 1.0, "accuracy": 0.5}
    throttle(dict(train_point))
    throttle(dict(train_point, step=2, loss=3.0))  # held: it came within 0.1 s
    layers = {"type": "layers", "step": 2, "epoch": 1, "blocks": {"fc": {"mean": 0.5, "grad": {"weight": 1.0}}}}
    throttle(layers)
    assert sent == [train_point, dict(train_point, step=2, loss=3.0), layers]
