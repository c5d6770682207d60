"""Inputs on the device: uint8 pixels scaled per batch, per-channel normalization, augmentation."""
import numpy as np
import pytest
import torch
from torch import nn

from builder.preprocess import Preprocess
from trainer.datasets import Arrays
from trainer.engine import TrainConfig, train
from trainer.engine.inputs import Inputs, channel_stats


def pixels(n: int = 300, seed: int = 0) -> Arrays:
    """Two classes of 3x6x6 uint8 'images': bright red on the left half vs. on the right half."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, size=(n, 3, 6, 6), dtype=np.uint8)
    y = rng.integers(0, 2, size=n).astype(np.int64)
    for i in range(n):
        cols = slice(0, 3) if y[i] == 0 else slice(3, 6)
        x[i, 0, :, cols] += 180
    return Arrays(x[:240], y[:240], x[240:], y[240:], ["left", "right"], {"kind": "image", "name": "pixels"})


def cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 2))


def test_it_keeps_uint8_images_as_uint8_on_the_device():
    data = pixels()
    config = TrainConfig(device="cpu")
    inputs = Inputs(data, config, torch.arange(200), torch.device("cpu"), 1)
    assert inputs.x.dtype == torch.uint8 and inputs.x.data_ptr()  # 1 byte a value, not 4
    batch = inputs.batch(inputs.x, torch.tensor([0, 5]), train=False)
    scaled = torch.as_tensor(data.x_train[[0, 5]]).float() * (1 / 255)
    mean = torch.tensor(inputs.normalization["mean"]).reshape(3, 1, 1)
    std = torch.tensor(inputs.normalization["std"]).reshape(3, 1, 1)
    assert batch.dtype == torch.float32 and torch.equal(batch, (scaled - mean) / std)


def test_it_normalizes_with_the_training_split_statistics_per_channel():
    data = pixels()
    idx = torch.arange(0, 240, 2)  # half the samples: the statistics must be of these only
    inputs = Inputs(data, TrainConfig(device="cpu"), idx, torch.device("cpu"), 1)
    chosen = data.x_train[::2].astype(np.float64) / 255
    norm = inputs.normalization
    assert norm["scale"] == 1 / 255 and norm["channel_dim"] == 0
    assert norm["mean"] == pytest.approx(chosen.mean(axis=(0, 2, 3)).tolist(), rel=1e-6)
    assert norm["std"] == pytest.approx(chosen.std(axis=(0, 2, 3)).tolist(), rel=1e-6)


def test_it_sums_statistics_a_chunk_at_a_time_like_all_at_once(monkeypatch):
    x = torch.rand(50, 2, 3, 3)
    monkeypatch.setattr("trainer.engine.inputs.STATS_CHUNK", 7)
    mean, std = channel_stats(x, torch.arange(50), 1.0, 0)
    assert mean == pytest.approx(x.double().mean((0, 2, 3)).tolist(), rel=1e-6)
    assert std == pytest.approx(x.double().std((0, 2, 3), unbiased=False).tolist(), rel=1e-6)


def test_it_only_scales_uint8_when_normalization_is_off():
    data = pixels()
    inputs = Inputs(data, TrainConfig(device="cpu", normalize="off"), torch.arange(240), torch.device("cpu"), 1)
    assert inputs.normalization == {"scale": 1 / 255, "mean": None, "std": None, "channel_dim": 0}
    batch = inputs.batch(inputs.x, torch.tensor([3]), train=False)
    assert torch.equal(batch, torch.as_tensor(data.x_train[[3]]).float() * (1 / 255))


def test_it_leaves_float_features_alone_unless_asked():
    x = np.random.default_rng(0).normal(5, 3, size=(100, 4)).astype(np.float32)
    data = Arrays(x[:80], np.zeros(80, np.int64), x[80:], np.zeros(20, np.int64), ["a"], {"kind": "features"})
    plain = Inputs(data, TrainConfig(device="cpu"), torch.arange(80), torch.device("cpu"), 1)
    assert plain.normalization is None and torch.equal(plain.x, torch.as_tensor(x[:80]))
    on = Inputs(data, TrainConfig(device="cpu", normalize="on"), torch.arange(80), torch.device("cpu"), 1)
    assert len(on.normalization["mean"]) == 4  # per feature
    assert on.x.mean(0).abs().max() < 1e-5 and (on.x.std(0, unbiased=False) - 1).abs().max() < 1e-4


def test_it_trains_on_uint8_pixels_and_records_the_normalization():
    result = train(cnn(), pixels(), TrainConfig(device="cpu", epochs=8, lr=0.01, batch_size=32))
    assert result.test_accuracy > 0.9
    norm = result.normalization
    assert norm["scale"] == 1 / 255 and len(norm["mean"]) == 3 and norm["mean"][0] > norm["mean"][1]


def test_it_gives_the_same_outputs_from_raw_inputs_through_the_recorded_preprocessing():
    data = pixels()
    model = cnn()
    result = train(model, data, TrainConfig(device="cpu", epochs=2, val_fraction=0))
    model.eval()
    inputs = Inputs(data, TrainConfig(device="cpu"), torch.arange(240), torch.device("cpu"), 1)
    normalized = inputs.batch(torch.as_tensor(data.x_test), torch.arange(60), train=False)
    prep = Preprocess(result.normalization, 3, result.normalization["channel_dim"])
    raw = torch.as_tensor(data.x_test)
    with torch.no_grad():
        assert torch.equal(model(prep(raw)), model(normalized))
        assert torch.equal(model(prep(raw.float())), model(normalized))  # float pixels 0..255 too


def test_it_flips_and_crops_images_on_the_device_reproducibly():
    data = pixels()
    config = TrainConfig(device="cpu", augment_crop=2, augment_flip=True, normalize="off")
    a = Inputs(data, config, torch.arange(240), torch.device("cpu"), 5)
    b = Inputs(data, config, torch.arange(240), torch.device("cpu"), 5)
    idx = torch.arange(64)
    xa, xb = a.batch(a.x, idx), b.batch(b.x, idx)
    assert xa.shape == (64, 3, 6, 6) and torch.equal(xa, xb)  # seeded
    plain = a.batch(a.x, idx, train=False)
    assert not torch.equal(xa, plain)  # training batches are augmented, evaluation ones are not
    # Each augmented image is its original shifted by at most 2 pixels, maybe mirrored, zeros where it left.
    raw = torch.as_tensor(data.x_train[:64]).float() * (1 / 255)
    for i in range(64):
        assert any(torch.equal(xa[i], shifted(img, dy, dx))
                   for img in (raw[i], raw[i].flip(-1)) for dy in range(-2, 3) for dx in range(-2, 3))


def shifted(img: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    padded = torch.nn.functional.pad(img, (2, 2, 2, 2))
    return padded[:, 2 + dy:2 + dy + 6, 2 + dx:2 + dx + 6]


def test_it_pads_normalized_float_images_with_what_a_zero_pixel_becomes():
    data = pixels()
    floats = Arrays(data.x_train.astype(np.float32) / 255, data.y_train, data.x_test.astype(np.float32) / 255,
                    data.y_test, data.classes, data.meta)
    config = TrainConfig(device="cpu", augment_crop=3)
    inputs = Inputs(floats, config, torch.arange(240), torch.device("cpu"), 0)
    batch = inputs.batch(inputs.x, torch.arange(100))
    zero = inputs.preprocess(torch.zeros(1, 1, 1, 1)).reshape(3)
    corners = batch[:, :, 0, 0]  # a shift of 1 or more down and right leaves the corner padded
    assert any(torch.equal(c, zero) for c in corners)
