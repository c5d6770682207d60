"""CSV uploads: numeric feature columns and a label column, or a text column and a label column.

Row numbers in messages count the header as row 1, as a spreadsheet shows them.
"""
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterator

import numpy as np

from .builtin import Arrays
from .common import (DatasetError, UploadOptions, check_values, classes_from_labels, finish, is_class_labels,
                     smallest_uint, split)

PAD, UNK = "<pad>", "<unk>"
NOT_UTF8 = "This .csv file is not UTF-8 text: save it again as UTF-8 CSV."
WORD = re.compile(r"\w+(?:'\w+)*")


def read_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]], int]:
    """The header, the data rows as they are decoded and read (never the whole text or table at once),
    and at most how many rows there are."""
    if b"\x00" in data[:4096]:
        raise DatasetError("This .csv file is binary, not text: export the table as CSV (comma-separated) text.")
    try:
        dialect = csv.Sniffer().sniff(data[:4096].decode("utf-8-sig", errors="ignore"), delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), dialect)
    rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
    try:
        first = next(rows, None)
    except UnicodeDecodeError:
        raise DatasetError(NOT_UTF8) from None
    if first is None:
        raise DatasetError("The CSV is empty: it needs a header row and one row per sample.")
    header = [h.strip() for h in first[1]]
    most = max(data.count(b"\n"), data.count(b"\r")) + 1  # every row ends in one of them: never too few
    return header, checked(decoded(rows), header), most


def checked(rows, header: list[str]) -> Iterator[tuple[int, list[str]]]:
    count = 0
    for line, row in rows:
        if len(row) != len(header):
            raise DatasetError(f"Row {line} has {len(row)} cells but the header has {len(header)} columns: "
                               "every row needs one cell per column.")
        count += 1
        yield line, row
    if count == 0:
        raise DatasetError("The CSV has a header but no data rows: add one row per sample.")


def decoded(rows):
    try:
        yield from rows
    except UnicodeDecodeError:
        raise DatasetError(NOT_UTF8) from None


def pick_column(header: list[str], wanted: str | None, role: str, default: str) -> int:
    if wanted is None:
        wanted = default
    if wanted not in header:
        raise DatasetError(f"There is no {role} column {wanted!r} (columns: {', '.join(header)}): set {role}_column "
                           "to one of them.")
    return header.index(wanted)


def cell(row: list[str], col: int, line: int, header: list[str]) -> str:
    value = row[col].strip()
    if not value:
        raise DatasetError(f"Row {line}, column {header[col]!r} is empty: fill it in or remove the row.")
    return value


def number(row, col, line, header) -> float:
    value = cell(row, col, line, header)
    try:
        f = float(value)
    except ValueError:
        raise DatasetError(f"Row {line}, column {header[col]!r}: {value!r} is not a number. Fix the cell, or name "
                           "this column as text_column if it holds text.") from None
    if not math.isfinite(f):
        raise DatasetError(f"Row {line}, column {header[col]!r}: {value!r} is not a finite number: fix the cell.")
    return f


def labels(cells: list[tuple[int, str]]) -> tuple[np.ndarray, list[str]]:
    """(line, text) label cells -> class ids and names, or float targets for regression."""
    raw = [value for _, value in cells]
    try:
        y = np.array([float(v) for v in raw])
    except ValueError:
        return classes_from_labels(np.array(raw))  # text labels: classes in alphabetical order
    if is_class_labels(y) and np.isfinite(y).all():
        return classes_from_labels(y.astype(np.int64))
    return y.astype(np.float32), []  # numbers with fractions: regression


def parse_csv(data: bytes, options: UploadOptions, name: str) -> Arrays:
    header, rows, most = read_rows(data)
    if len(set(header)) != len(header):
        raise DatasetError("The CSV header names a column twice: give every column its own name.")
    if options.text_column is not None:
        return _text(header, rows, options, name)
    if len(header) < 2:
        raise DatasetError(f"The CSV has only one column ({header[0]!r}): it needs feature columns and a label "
                           "column.")
    label_col = pick_column(header, options.label_column, "label", "label" if "label" in header else header[-1])
    features = [c for c in range(len(header)) if c != label_col]
    check_values(most * len(features), f"Up to {most:,} rows of {len(features):,} feature columns", options)
    x, label_cells = features_and_labels(rows, features, label_col, header, most)
    y, classes = labels(label_cells)
    parts = split(x, y, options, stratify=bool(classes))
    meta = {"kind": "features", "name": name, "source": "csv upload",
            "columns": [header[c] for c in features], "label_column": header[label_col]}
    return finish(parts[0], parts[2], parts[1], parts[3], classes, meta)


def features_and_labels(rows, features: list[int], label_col: int, header, most: int):
    """Feature values straight into one float32 array (no list of Python floats), label cells aside."""
    x = np.empty((most, len(features)), dtype=np.float32)
    label_cells = []
    for n, (line, row) in enumerate(rows):
        x[n] = [number(row, c, line, header) for c in features]
        label_cells.append((line, cell(row, label_col, line, header)))
    return x[:len(label_cells)], label_cells  # the split copies what it keeps


def tokenize(text: str) -> list[str]:
    return WORD.findall(text.lower())


def vocabulary(texts: list[list[str]], size: int) -> list[str]:
    """<pad>, <unk>, then the most frequent words, ties in alphabetical order so it is reproducible."""
    counts = Counter(w for words in texts for w in words)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return [PAD, UNK] + ranked[:size - 2]


def encode(texts, index: dict[str, int], seq_len: int, dtype: np.dtype) -> np.ndarray:
    """Token ids, cut or padded with 0 to seq_len, straight into an array of the smallest integer type."""
    ids = np.zeros((len(texts), seq_len), dtype=dtype)
    for n, text in enumerate(texts):
        row = [index.get(w, 1) for w in text.split()[:seq_len]]
        ids[n, :len(row)] = row
    return ids


def _text(header, rows, options: UploadOptions, name: str) -> Arrays:
    text_col = pick_column(header, options.text_column, "text", options.text_column)
    others = [h for h in header if h != header[text_col]]
    if not others:
        raise DatasetError(f"The CSV has only the text column {header[text_col]!r}: add a label column.")
    label_col = pick_column(header, options.label_column, "label", "label" if "label" in header else others[-1])
    if label_col == text_col:
        raise DatasetError("The label column and the text column are the same: name two different columns.")
    texts, label_cells = [], []
    for line, row in rows:
        texts.append(" ".join(tokenize(row[text_col])))
        label_cells.append((line, cell(row, label_col, line, header)))
    check_values(len(texts) * options.seq_len, f"{len(texts):,} texts of seq_len {options.seq_len:,} tokens", options)
    y, classes = labels(label_cells)
    t_train, t_test, y_train, y_test = split(np.array(texts, dtype=object), y, options, stratify=bool(classes))
    vocab = vocabulary([t.split() for t in t_train], options.vocab_size)  # from training text only
    index = {w: i for i, w in enumerate(vocab)}
    dtype = smallest_uint(len(vocab) - 1)
    meta = {"kind": "tokens", "name": name, "source": "csv upload", "vocab": vocab, "seq_len": options.seq_len,
            "text_column": header[text_col], "label_column": header[label_col]}
    return finish(encode(t_train, index, options.seq_len, dtype), y_train,
                  encode(t_test, index, options.seq_len, dtype), y_test, classes, meta)
