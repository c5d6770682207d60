"""Datasets as plain arrays, stored as .npz, and the built-ins that are generated locally.

Pure core: numpy, scikit-learn and the `mnist1d` generator; no Django and no network. The
catalogue of every built-in, downloaded ones included, is `catalogue.py`.
"""
import json
import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

META_KEY = "__meta__"
ARRAY_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass
class Arrays:
    """One dataset in memory: per-sample shapes follow graph-format.md (channels first)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str] = field(default_factory=list)  # empty for regression
    meta: dict = field(default_factory=dict)  # kind, name, vocab, source, ...

    @property
    def input_shape(self) -> list[int]:
        return [int(d) for d in self.x_train.shape[1:]]

    @property
    def dtype(self) -> str:
        """What the model's Input receives: uint8 pixels are scaled to float32 by the engine, per batch."""
        if self.meta.get("pixels") == "0..255" or (self.x_train.dtype == np.uint8 and self.meta.get("kind") not in ("tokens", "text")):
            return "float32"
        return "int64" if np.issubdtype(self.x_train.dtype, np.integer) else "float32"

    @property
    def num_classes(self) -> int | None:
        return len(self.classes) or None

    @property
    def train_size(self) -> int:
        return int(len(self.x_train))

    @property
    def test_size(self) -> int:
        return int(len(self.x_test))


def save_arrays(arrays: Arrays, path) -> None:
    """Write one .npz atomically: readers see the old file or the whole new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"classes": list(arrays.classes), "meta": arrays.meta}
    # JSON as bytes in a uint8 array: loadable with allow_pickle=False.
    meta = np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{k: getattr(arrays, k) for k in ARRAY_KEYS}, **{META_KEY: meta})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_arrays(path) -> Arrays:
    with np.load(path, allow_pickle=False) as npz:
        info = json.loads(npz[META_KEY].tobytes().decode())
        return Arrays(**{k: npz[k] for k in ARRAY_KEYS}, classes=info["classes"], meta=info["meta"])


# --- built-ins -------------------------------------------------------------------------------

DIGIT_CLASSES = [str(d) for d in range(10)]


def digits_arrays(as_rows: bool) -> Arrays:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)  # pixel counts 0..16 -> [0, 1]
    x = x.reshape(-1, 8, 8) if as_rows else x.reshape(-1, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y.astype(np.int64), test_size=0.2, stratify=y, random_state=0)
    kind = "sequence" if as_rows else "image"
    return Arrays(x_tr, y_tr, x_te, y_te, DIGIT_CLASSES,
                  {"kind": kind, "source": "sklearn.datasets.load_digits",
                   "split": "stratified 80/20, random_state=0", "scaling": "pixel / 16"})


def mnist1d_arrays(as_sequence: bool) -> Arrays:
    from mnist1d.data import make_dataset  # the generator itself: get_dataset() would download

    # make_dataset seeds the global `random` and numpy generators; keep the caller's untouched.
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        d = make_dataset()  # default arguments: 5,000 samples, 80/20 split, seed 42
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
    shape = (-1, 40, 1) if as_sequence else (-1, 1, 40)
    x_tr, x_te = (d[k].astype(np.float32).reshape(shape) for k in ("x", "x_test"))
    y_tr, y_te = (d[k].astype(np.int64) for k in ("y", "y_test"))
    kind = "sequence" if as_sequence else "signal"
    return Arrays(x_tr, y_tr, x_te, y_te, DIGIT_CLASSES,
                  {"kind": kind, "source": "mnist1d.data.make_dataset (default arguments)",
                   "split": "the package's own: first 4,000 train, last 1,000 test",
                   "scaling": "standardized by the package (mean 0, std 1)"})
