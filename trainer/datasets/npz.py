"""NPZ uploads: arrays x and y (or Keras's x_train and y_train), optionally x_test and y_test; never
unpickled. Images saved channels-last, as Keras does, are stored channels first."""
import io
import math
import zipfile

import numpy as np

from .builtin import Arrays
from .common import DatasetError, UploadOptions, check_values, classes_from_labels, finish, is_class_labels, split
from .zip import check_members

KEYS = ("x", "y", "x_test", "y_test")
KERAS = {"x_train": "x", "y_train": "y"}  # with x_test, y_test: keras.datasets' names
HOW = "save it with numpy.savez(file, x=inputs, y=labels)"


def parse_npz(data: bytes, options: UploadOptions, name: str) -> Arrays:
    try:
        # An .npz is a zip: its members are vetted for size before numpy inflates any of them.
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_members(archive.infolist(), len(data))
        check_headers(archive, options)
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise DatasetError(f"This .npz file could not be read (it is damaged or not made by numpy): {HOW}.") from None
    with npz:
        names = {k: k for k in npz.files}
        if "x" not in names and "y" not in names:  # Keras names the training arrays x_train, y_train
            names = {KERAS.get(k, k): k for k in npz.files}
        missing = [k for k in ("x", "y") if k not in names]
        if missing:
            raise DatasetError(f"The .npz has no array named {missing[0]!r} (it has: {', '.join(npz.files) or 'none'}): "
                               f"{HOW}.")
        if ("x_test" in names) != ("y_test" in names):
            raise DatasetError("The .npz has only one of x_test and y_test: give both, or neither to let LayerLab "
                               "hold out test samples itself.")
        arrays = {k: _read(npz, names[k]) for k in KEYS if k in names}
    return _assemble(arrays, options, name)


def channels_first(a: dict) -> list[str]:
    """Keras's image layout (N, H, W, C), C of 1, 3 or 4, becomes LayerLab's (N, C, H, W); returns the note."""
    x = a["x"]
    if x.ndim != 4 or x.shape[3] not in (1, 3, 4) or x.shape[1] in (1, 3, 4):
        return []
    for key in ("x", "x_test"):
        if key in a and a[key].ndim == 4:
            a[key] = np.ascontiguousarray(a[key].transpose(0, 3, 1, 2))
    h, w, c = x.shape[1:]
    return [f"x is channels-last (N, {h}, {w}, {c}), as Keras saves images: stored channels first as [{c}, {h}, {w}]."]


HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def array_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, int]:
    """An .npy member's shape, dtype and the bytes after its header, from the header alone."""
    key = info.filename[:-4]
    with archive.open(info) as f:
        try:
            reader = HEADER_READERS.get(np.lib.format.read_magic(f))
            if reader is None:
                raise ValueError("unknown .npy version")
            shape, _, dtype = reader(f)  # a literal parsed with ast.literal_eval; nothing is unpickled
        except (ValueError, EOFError, OSError):
            raise DatasetError(f"The array {key!r} in the .npz has a damaged header: {HOW}.") from None
        return shape, dtype, info.file_size - f.tell()


def check_headers(archive: zipfile.ZipFile, options: UploadOptions) -> None:
    """Every array's size from its header, against the values limit and the bytes that follow it, before
    numpy allocates anything: a header can claim any shape."""
    headers = {info.filename[:-4]: array_header(archive, info) for info in archive.infolist()
               if info.filename.endswith(".npy") and info.filename[:-4] in (*KEYS, *KERAS)}
    described = ", ".join(f"{key} {list(shape)}" for key, (shape, _, _) in headers.items())
    check_values(sum(math.prod(shape) for shape, _, _ in headers.values()), f"The arrays ({described})", options)
    for key, (shape, dtype, body) in headers.items():
        if dtype.hasobject:
            raise DatasetError(f"The array {key!r} holds Python objects, which LayerLab never unpickles: save plain "
                               f"numeric arrays (for example {key}.astype('float32')).")
        if math.prod(shape) * dtype.itemsize > body:
            raise DatasetError(f"The array {key!r} claims the shape {list(shape)} but the file holds far less: the "
                               f".npz is damaged or crafted. {HOW[0].upper() + HOW[1:]}.")


def _read(npz, key: str) -> np.ndarray:
    try:
        a = npz[key]
    except ValueError:  # numpy refuses object arrays when allow_pickle is False
        raise DatasetError(f"The array {key!r} holds Python objects, which LayerLab never unpickles: save plain "
                           f"numeric arrays (for example {key}.astype('float32')).") from None
    except (zipfile.BadZipFile, OSError, EOFError):
        raise DatasetError(f"The array {key!r} in the .npz is damaged: {HOW}.") from None
    if a.dtype.kind not in "biuf":
        raise DatasetError(f"The array {key!r} holds {a.dtype} values, not numbers: save numbers only "
                           "(integers or floats; map text labels to integers first).")
    if a.ndim == 0:
        raise DatasetError(f"The array {key!r} is a single value: it needs one entry per sample.")
    return a


def _inputs(x: np.ndarray, key: str) -> np.ndarray:
    if x.ndim == 1:
        x = x.reshape(-1, 1)  # one number per sample
    if x.dtype.kind == "u" and x.dtype.itemsize == 1:
        return (x / 255.0).astype(np.float32)  # uint8 pixels
    if x.dtype.kind in "iu":
        if x.size and x.min() < 0:
            raise DatasetError(f"{key} holds negative integers; integer inputs are token ids (0 and up). Save "
                               "numeric features as floats.")
        return x.astype(np.int64)
    x = x.astype(np.float32)
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        raise DatasetError(f"{key} has NaN or infinite values (first in sample {int(np.argmax(bad))}): replace "
                           "or drop those samples.")
    return x


def _kind(x: np.ndarray) -> str:
    if x.dtype == np.int64:
        return "tokens"
    return {1: "features", 2: "sequence", 3: "image"}.get(x.ndim - 1, "features")


def _assemble(a: dict, options: UploadOptions, name: str) -> Arrays:
    for x_key, y_key in (("x", "y"), ("x_test", "y_test")):
        if x_key in a and len(a[x_key]) != len(a[y_key]):
            raise DatasetError(f"{x_key} has {len(a[x_key]):,} samples but {y_key} has {len(a[y_key]):,} labels: "
                               "they must have the same length, one label per sample.")
    if len(a["x"]) == 0:
        raise DatasetError("x and y are empty: the .npz needs at least a few samples.")
    notes = channels_first(a)
    x = _inputs(a["x"], "x")
    y_all = np.concatenate([a["y"], a["y_test"]]) if "y_test" in a else a["y"]
    y_all = y_all.reshape(len(y_all)) if y_all.ndim == 2 and y_all.shape[1] == 1 else y_all
    classes = []
    if is_class_labels(y_all):
        if y_all.ndim != 1:
            raise DatasetError(f"y has shape {list(y_all.shape)}: class labels need one integer per sample.")
        y_all, classes = classes_from_labels(y_all)
    else:
        y_all = y_all.astype(np.float32)
        if not np.isfinite(y_all).all():
            raise DatasetError("y has NaN or infinite values: replace or drop those samples.")
    y = y_all[:len(x)]
    if "x_test" in a:
        x_test = _inputs(a["x_test"], "x_test")
        if x_test.shape[1:] != x.shape[1:] or x_test.dtype != x.dtype:
            raise DatasetError(f"x_test samples are {list(x_test.shape[1:])} ({x_test.dtype}) but x samples are "
                               f"{list(x.shape[1:])} ({x.dtype}): they must match.")
        parts = (x, x_test, y, y_all[len(x):])
    else:
        parts = split(x, y, options, stratify=bool(classes))
    x_train, x_test, y_train, y_test = parts
    meta = {"kind": _kind(x), "name": name, "source": "npz upload", "notes": notes}
    return finish(x_train, y_train, x_test, y_test, classes, meta)
