"""NPZ uploads saved the Keras way: arrays named x_train, y_train, x_test, y_test, and images in
the channels-last layout (N, H, W, C), which LayerLab stores channels first."""
import numpy as np
import pytest

from tests.trainer.helpers import npz_file
from trainer.datasets import DatasetError, parse_upload, preview


def keras_images(n: int, h: int, w: int, c: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, h, w, c)).astype(np.float32), np.arange(n) % 2


def test_it_accepts_the_keras_names_with_their_own_test_split():
    x, y = keras_images(10, 6, 5, 3)
    xt, yt = keras_images(4, 6, 5, 3, seed=1)
    a = parse_upload("cifar-like.npz", npz_file(x_train=x, y_train=y, x_test=xt, y_test=yt))
    assert (a.train_size, a.test_size) == (10, 4) and a.input_shape == [3, 6, 5] and a.meta["kind"] == "image"
    assert np.array_equal(a.x_train[2, 1], x[2, :, :, 1]) and np.array_equal(a.x_test[3, 2], xt[3, :, :, 2])
    assert a.classes == ["0", "1"]


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_it_stores_channels_last_images_channels_first_and_says_so(channels):
    x, y = keras_images(12, 7, 9, channels)
    a = parse_upload("imgs.npz", npz_file(x=x, y=y))
    assert a.input_shape == [channels, 7, 9]
    p = preview(a)
    assert p["notes"] == [f"x is channels-last (N, 7, 9, {channels}), as Keras saves images: stored channels first "
                          f"as [{channels}, 7, 9]."]
    i = p["samples"][0]["index"]
    assert np.allclose(np.array(p["samples"][0]["input"]), a.x_train[i].round(4))


def test_it_keeps_channels_first_images_as_they_are():
    rng = np.random.default_rng(0)
    a = parse_upload("cf.npz", npz_file(x=rng.random((8, 3, 6, 6)).astype(np.float32), y=np.arange(8) % 2))
    assert a.input_shape == [3, 6, 6] and preview(a)["notes"] == []


def test_it_still_asks_for_x_and_y_when_neither_naming_is_there():
    with pytest.raises(DatasetError, match="no array named 'x'"):
        parse_upload("odd.npz", npz_file(features=np.zeros((4, 2)), labels=np.arange(4)))
    with pytest.raises(DatasetError, match="only one of x_test and y_test"):
        parse_upload("half.npz", npz_file(x_train=np.zeros((4, 2)), y_train=np.arange(4) % 2, x_test=np.zeros((2, 2))))
