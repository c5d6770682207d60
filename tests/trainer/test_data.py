"""Built-in datasets: generated locally, the documented shapes and splits, cached once."""
import multiprocessing
import sys

import numpy as np
import pytest

from trainer.datasets import BUILTINS, Arrays, load_arrays, load_builtin, save_arrays

EXPECTED = {
    "digits": ([1, 8, 8], 1437, 360, "image"),
    "digits-rows": ([8, 8], 1437, 360, "sequence"),
    "mnist1d": ([1, 40], 4000, 1000, "signal"),
    "mnist1d-seq": ([40, 1], 4000, 1000, "sequence"),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_it_builds_each_builtin_with_its_documented_shape(name, cache_dir):
    shape, n_train, n_test, kind = EXPECTED[name]
    a = load_builtin(name, cache_dir)
    assert a.input_shape == shape == BUILTINS[name].input_shape
    assert (a.train_size, a.test_size) == (n_train, n_test)
    assert a.dtype == "float32" and a.x_train.dtype == np.float32 and a.y_train.dtype == np.int64
    assert a.num_classes == 10 and a.classes == [str(d) for d in range(10)]
    assert a.meta["kind"] == kind and a.meta["name"] == name
    assert set(np.unique(a.y_test)) == set(range(10))


def test_it_scales_digits_to_the_unit_interval(digits):
    assert digits.x_train.min() == 0.0 and digits.x_train.max() == 1.0


def test_it_splits_digits_stratified_and_the_same_every_time(digits, tmp_path):
    again = load_builtin("digits", tmp_path)  # built afresh in an empty cache
    assert np.array_equal(again.x_test, digits.x_test) and np.array_equal(again.y_train, digits.y_train)
    counts = np.bincount(digits.y_test)
    assert counts.min() >= 35 and counts.max() <= 37  # about a fifth of each class's ~180


def test_it_gives_digits_rows_the_same_samples_as_digits(digits, cache_dir):
    rows = load_builtin("digits-rows", cache_dir)
    assert np.array_equal(rows.x_train, digits.x_train.reshape(-1, 8, 8))


def test_it_uses_mnist1d_defaults_without_touching_global_random_state(cache_dir, tmp_path):
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    a = load_builtin("mnist1d", tmp_path)
    assert np.random.random() == before
    assert abs(float(a.x_train.mean())) < 0.1 and 0.8 < float(np.concatenate([a.x_train, a.x_test]).std()) < 1.2
    seq = load_builtin("mnist1d-seq", cache_dir)
    assert np.array_equal(seq.x_train[:, :, 0], a.x_train[:, 0, :])


def test_it_reuses_the_cache_without_rebuilding(tmp_path):
    load_builtin("digits", tmp_path)
    [path] = tmp_path.glob("digits*.npz")
    stamp = path.stat().st_mtime_ns
    again = load_builtin("digits", tmp_path)
    assert path.stat().st_mtime_ns == stamp and again.train_size == 1437
    assert not list(tmp_path.glob("*.tmp"))


def test_it_rebuilds_a_damaged_cache_file(tmp_path):
    load_builtin("digits", tmp_path)
    [path] = tmp_path.glob("digits*.npz")
    path.write_bytes(b"garbage")
    assert load_builtin("digits", tmp_path).train_size == 1437
    assert load_arrays(path).train_size == 1437


def _build(cache: str) -> int:
    return load_builtin("digits-rows", cache).train_size


def test_it_survives_two_processes_building_at_once(tmp_path):
    ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    with ctx.Pool(2) as pool:
        assert pool.map(_build, [str(tmp_path)] * 2) == [1437, 1437]
    assert load_builtin("digits-rows", tmp_path).input_shape == [8, 8]
    assert not list(tmp_path.glob("*.tmp"))


def test_it_refuses_an_unknown_builtin(tmp_path):
    with pytest.raises(KeyError, match="digits"):
        load_builtin("imagenet", tmp_path)


def test_it_round_trips_arrays_with_their_meta(tmp_path):
    a = Arrays(np.zeros((3, 4), np.int64), np.array([0.5, 1.5, 2.5]), np.zeros((1, 4), np.int64), np.array([1.0]),
               [], {"kind": "tokens", "vocab": ["<pad>", "<unk>", "hi"]})
    save_arrays(a, tmp_path / "a.npz")
    b = load_arrays(tmp_path / "a.npz")
    assert b.meta == a.meta and b.classes == [] and b.num_classes is None and b.dtype == "int64"
    assert np.array_equal(b.y_train, a.y_train) and b.input_shape == [4]
