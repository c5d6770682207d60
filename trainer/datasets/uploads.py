"""User datasets: NPZ, CSV or a ZIP of image folders, parsed in memory into Arrays.

Pure core. A bad file gives DatasetError with a sentence saying what is wrong and what to do;
nothing is returned (or written) until the whole file has been parsed and checked.
"""
import hashlib
import json
from pathlib import PurePath
from typing import BinaryIO

import numpy as np

from .builtin import Arrays, load_arrays, save_arrays  # noqa: F401  (part of this module's interface)
from .common import DatasetError, UploadOptions  # noqa: F401
from .csv import parse_csv
from .npz import parse_npz
from .zip import parse_zip

MAX_BYTES = 100 * 2**20
PARSERS = {".npz": parse_npz, ".csv": parse_csv, ".zip": parse_zip}


def parse_upload(filename: str, fileobj: BinaryIO, options: UploadOptions | None = None,
                 max_bytes: int = MAX_BYTES) -> Arrays:
    """The dataset in an uploaded file, chosen by its extension; DatasetError when it is unusable."""
    options = options or UploadOptions()
    options.check()
    path = PurePath(filename or "")
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise DatasetError(f"{path.name or 'The file'!r} is not a format LayerLab reads: upload an .npz (arrays x "
                           "and y), a .csv (columns and a label column) or a .zip (one folder of images per class).")
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)  # never more than the limit in memory
    if len(data) > max_bytes:
        raise DatasetError(f"The file is larger than the {max_bytes / 2**20:,.0f} MB limit: upload a smaller one "
                           "(fewer samples, or smaller images).")
    if not data:
        raise DatasetError("The file is empty: upload one with samples in it.")
    return parser(data, options, path.stem)


def _sample(arrays: Arrays, i: int) -> dict:
    x, y = arrays.x_train[i], arrays.y_train[i]
    label = y.item() if y.ndim == 0 else y.tolist()
    out = {"index": i, "label": label, "class_name": arrays.classes[label] if arrays.classes else None,
           "shape": list(x.shape)}
    out["label_name"] = out["class_name"]  # the name the datasets page reads
    vocab = arrays.meta.get("vocab")
    if vocab is not None:
        out["tokens"] = [vocab[t] if 0 <= t < len(vocab) else "<unk>" for t in x.tolist() if t != 0]
        out["text"] = " ".join(out["tokens"])
    elif x.ndim == 3 and x.shape[0] in (1, 3):
        img = x[0] if x.shape[0] == 1 else x.transpose(1, 2, 0)  # grey [H][W], or RGB [H][W][3]
        lo, hi = float(img.min()), float(img.max())
        if lo < 0 or hi > 1:  # show any scale as 0..1
            img = (img - lo) / (hi - lo) if hi > lo else img * 0
        out["image"] = img.round(4).tolist()
        out["input"] = x.round(4).tolist()
    else:
        out["values"] = x.reshape(-1)[:64].round(4).tolist()
        if x.size <= 4096:
            out["input"] = x.round(4).tolist()
    return out


def preview(arrays: Arrays, n: int = 8) -> dict:
    """A few training samples and the class counts, for the datasets page."""
    counts = {}
    if arrays.classes:
        tally = np.bincount(arrays.y_train.astype(np.int64), minlength=len(arrays.classes))
        counts = {name: int(c) for name, c in zip(arrays.classes, tally)}
    return {"samples": [_sample(arrays, i) for i in range(min(n, arrays.train_size))], "class_counts": counts,
            "train_size": arrays.train_size, "test_size": arrays.test_size, "notes": arrays.meta.get("notes", [])}


def content_hash(arrays: Arrays) -> str:
    """sha256 over every array's dtype, shape and bytes, and the class names: same data, same hash."""
    h = hashlib.sha256()
    for key in ("x_train", "y_train", "x_test", "y_test"):
        a = np.ascontiguousarray(getattr(arrays, key))
        h.update(f"{key}:{a.dtype.str}:{list(a.shape)};".encode())
        h.update(a.tobytes())
    h.update(json.dumps(list(arrays.classes)).encode())
    return h.hexdigest()
