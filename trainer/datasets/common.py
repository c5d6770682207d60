"""What every upload format shares: the options, the error, labels to classes, the split, the final checks."""
from dataclasses import dataclass

import numpy as np

from .builtin import Arrays

MAX_CLASSES = 1000


class DatasetError(Exception):
    """An upload LayerLab cannot use; the message says what is wrong and what to do."""


@dataclass
class UploadOptions:
    label_column: str | None = None  # CSV: default "label" if present, else the last column
    text_column: str | None = None  # CSV: None reads numeric feature columns
    seq_len: int = 32  # CSV text: tokens per sample, padded or cut
    vocab_size: int = 10000  # CSV text: words kept, including <pad> (0) and <unk> (1)
    image_size: tuple[int, int] = (28, 28)  # ZIP: (height, width) every image is resized to
    color: str = "grey"  # ZIP: "grey" -> [1, H, W], "rgb" -> [3, H, W]
    test_fraction: float = 0.2  # held out when the file has no test set of its own
    seed: int = 0  # of that split
    max_values: int = 200_000_000  # numbers in the whole dataset (LAYERLAB_MAX_DATASET_VALUES), checked before building

    def check(self) -> None:
        h, w = self.image_size
        problems = [
            (not 0 < self.test_fraction < 1, f"test_fraction must be between 0 and 1, not {self.test_fraction}"),
            (not 1 <= self.seq_len <= 4096, f"seq_len must be from 1 to 4096, not {self.seq_len}"),
            (not 3 <= self.vocab_size <= 1_000_000, f"vocab_size must be from 3 to 1,000,000, not {self.vocab_size}"),
            (not (1 <= h <= 512 and 1 <= w <= 512), f"image_size must be from 1 to 512 pixels a side, not {h}x{w}"),
            (self.color not in ("grey", "rgb"), f"color must be grey or rgb, not {self.color!r}"),
        ]
        for bad, message in problems:
            if bad:
                raise DatasetError(message + ".")


def check_values(count: int, what: str, options: UploadOptions) -> None:
    """Refuse a dataset of more than options.max_values numbers, before any array that size exists."""
    if count > options.max_values:
        raise DatasetError(f"{what} make {count:,} values; LayerLab takes at most {options.max_values:,} per dataset "
                           "(LAYERLAB_MAX_DATASET_VALUES): upload fewer or smaller samples.")


def smallest_uint(largest: int) -> np.dtype:
    """The smallest integer type holding 0..largest: token ids take 1, 2 or 4 bytes, not 8."""
    for dtype in (np.uint8, np.uint16):
        if largest <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int32)


def classes_from_labels(labels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Any labels -> (ids 0..K-1 as int64, the K names): numbers sort as numbers, text alphabetically."""
    values, ids = np.unique(labels, return_inverse=True)
    if len(values) > MAX_CLASSES:
        raise DatasetError(f"The labels have {len(values):,} different values; LayerLab takes at most "
                           f"{MAX_CLASSES:,} classes. For regression, give the targets as numbers with fractions.")
    names = [str(v.item() if hasattr(v, "item") else v) for v in values]
    return ids.reshape(-1).astype(np.int64), names


def is_class_labels(y: np.ndarray) -> bool:
    """Integers are classes; floats are classes only when all are whole numbers of a few kinds."""
    if y.dtype.kind in "biu":
        return True
    if y.dtype.kind != "f" or y.ndim != 1 or not np.isfinite(y).all():
        return False
    return bool(np.all(y == np.round(y))) and len(np.unique(y)) <= 100


def split(x: np.ndarray, y: np.ndarray, options: UploadOptions, stratify: bool):
    """A seeded train/test split, stratified by class where every class can give a test sample."""
    from sklearn.model_selection import train_test_split

    n = len(x)
    if n < 2:
        raise DatasetError(f"The file has {n} sample; LayerLab needs at least 2 to hold some out for testing.")
    n_test = min(n - 1, max(1, round(n * options.test_fraction)))
    by = None
    if stratify:
        counts = np.bincount(y)
        if counts[counts > 0].min() >= 2 and n_test >= len(counts) and n - n_test >= len(counts):
            by = y
    return train_test_split(x, y, test_size=n_test, random_state=options.seed, stratify=by)


def finish(x_train, y_train, x_test, y_test, classes: list[str], meta: dict) -> Arrays:
    """The final checks every format shares, then the Arrays."""
    if len(x_train) == 0 or len(x_test) == 0:
        raise DatasetError("The file leaves no samples for training or for testing: add more samples.")
    if classes:
        if len(classes) < 2:
            raise DatasetError(f"Every sample has the same label ({classes[0]!r}): a classifier needs at least two "
                               "classes. Add samples of another class.")
        missing = sorted(set(range(len(classes))) - set(np.unique(y_train).tolist()))
        if missing:
            raise DatasetError(f"The training samples have no example of class {classes[missing[0]]!r}: add more "
                               "samples of it, or lower test_fraction.")
    return Arrays(x_train, y_train, x_test, y_test, classes, meta)
