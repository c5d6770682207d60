"""The downloaded built-ins' original formats, parsed into Arrays: MNIST's idx.gz files, the
CIFAR binary version (fixed-size records; the python version is pickles and is never used) and
the aclImdb text archive. Archives are read member by member and never extracted to disk."""
import gzip
import math
import struct
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .builtin import Arrays
from .common import DatasetError, smallest_uint
from .csv import encode, tokenize, vocabulary

BROKEN = (OSError, EOFError, zlib.error, tarfile.TarError, struct.error)


def _damaged(path: Path, why: str) -> DatasetError:
    return DatasetError(f"{Path(path).name} is damaged or cut short ({why}): it was deleted; fetch the dataset again.")


def read_idx(path: Path) -> np.ndarray:
    """An idx file of unsigned bytes (MNIST's format), gzipped."""
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except BROKEN as exc:
        raise _damaged(path, f"not a complete gzip file: {exc}") from None
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise _damaged(path, "no idx header of unsigned bytes")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim]) if len(data) >= 4 + 4 * ndim else None
    body = data[4 + 4 * ndim:]
    if dims is None or len(body) != math.prod(dims):
        raise _damaged(path, "its size does not match its header")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def idx_dataset(files: dict[str, Path], classes: list[str], meta: dict) -> Arrays:
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz")
    x_train, y_train, x_test, y_test = (read_idx(files[n]) for n in names)
    for x, y in ((x_train, y_train), (x_test, y_test)):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or (len(y) and y.max() >= len(classes)):
            raise DatasetError("The idx files do not belong together (counts, shapes or labels differ): they "
                               "were deleted; fetch the dataset again.")
    images = lambda x: np.ascontiguousarray(x[:, None])  # channels first, [1, 28, 28]
    return Arrays(images(x_train), y_train.astype(np.int64), images(x_test), y_test.astype(np.int64),
                  list(classes), dict(meta, kind="image", pixels="0..255"))


def tar_members(path: Path, wanted) -> dict[str, bytes]:
    """The regular files whose names `wanted(name)` accepts, read from a .tar.gz in one pass."""
    found = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                if member.isfile() and wanted(member.name):
                    found[member.name] = tar.extractfile(member).read()
    except BROKEN as exc:
        raise _damaged(path, f"not a complete .tar.gz: {exc}") from None
    return found


def cifar_records(data: bytes, label_bytes: int, label_at: int, num_classes: int, name: str):
    """CIFAR binary records: label byte(s), then 3,072 pixels, R then G then B planes, row by row."""
    size = label_bytes + 3 * 32 * 32
    if not data or len(data) % size:
        raise DatasetError(f"{name} is not a whole number of CIFAR records ({len(data):,} bytes): the archive is "
                           "damaged; fetch the dataset again.")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, size)
    labels = records[:, label_at].astype(np.int64)
    if labels.max() >= num_classes:
        raise DatasetError(f"{name} has a label {labels.max()} beyond its {num_classes} classes: the archive is "
                           "damaged; fetch the dataset again.")
    return np.ascontiguousarray(records[:, label_bytes:].reshape(-1, 3, 32, 32)), labels


def cifar_dataset(path: Path, folder: str, train: list[str], test: str, label_bytes: int,
                  classes: list[str], meta: dict) -> Arrays:
    names = [f"{folder}/{n}" for n in train + [test]]
    members = tar_members(path, lambda n: n in names)
    missing = [n for n in names if n not in members]
    if missing:
        raise _damaged(path, f"{missing[0]} is missing")
    label_at = label_bytes - 1  # CIFAR-100 records start coarse label, fine label; LayerLab uses the fine one
    parts = [cifar_records(members[n], label_bytes, label_at, len(classes), n) for n in names]
    x_train = np.concatenate([p[0] for p in parts[:-1]])
    y_train = np.concatenate([p[1] for p in parts[:-1]])
    return Arrays(x_train, y_train, *parts[-1], list(classes), dict(meta, kind="image", pixels="0..255"))


def imdb_dataset(path: Path, vocab_size: int, seq_len: int, meta: dict) -> Arrays:
    """aclImdb/{train,test}/{neg,pos}/*.txt; tokenized as CSV text is, vocabulary from the training reviews."""
    parts = {(split, label): [] for split in ("train", "test") for label in ("neg", "pos")}

    def wanted(name: str) -> bool:
        bits = name.split("/")
        return len(bits) == 4 and bits[0] == "aclImdb" and (bits[1], bits[2]) in parts and bits[3].endswith(".txt")

    for name, data in sorted(tar_members(path, wanted).items()):
        bits = name.split("/")
        text = data.decode("utf-8", errors="replace").replace("<br />", " ")
        parts[(bits[1], bits[2])].append(tokenize(text))
    if any(not texts for texts in parts.values()):
        empty = next(f"aclImdb/{s}/{l}" for (s, l), texts in parts.items() if not texts)
        raise _damaged(path, f"it has no reviews in {empty}")
    vocab = vocabulary(parts[("train", "neg")] + parts[("train", "pos")], vocab_size)
    index = {w: i for i, w in enumerate(vocab)}
    dtype = smallest_uint(len(vocab) - 1)
    rng = np.random.default_rng(0)  # the archive is sorted by class: mix the classes, the same way every time

    def split(name: str):
        texts = parts[(name, "neg")] + parts[(name, "pos")]
        x = encode([" ".join(words) for words in texts], index, seq_len, dtype)
        y = np.array([0] * len(parts[(name, "neg")]) + [1] * len(parts[(name, "pos")]), dtype=np.int64)
        order = rng.permutation(len(y))
        return x[order], y[order]

    (x_train, y_train), (x_test, y_test) = split("train"), split("test")
    return Arrays(x_train, y_train, x_test, y_test, ["neg", "pos"],
                  dict(meta, kind="tokens", vocab=vocab, seq_len=seq_len))
