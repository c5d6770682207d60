"""CSV uploads: numeric feature columns and a label column, or a text column and a label column.

Row numbers in messages count the header as row 1, as a spreadsheet shows them.
"""
import csv
import io
import math
import re
from collections import Counter

import numpy as np

from .builtin import Arrays
from .common import DatasetError, UploadOptions, classes_from_labels, finish, is_class_labels, split

PAD, UNK = "<pad>", "<unk>"
WORD = re.compile(r"\w+(?:'\w+)*")


def read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if b"\x00" in data[:4096]:
        raise DatasetError("This .csv file is binary, not text: export the table as CSV (comma-separated) text.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError("This .csv file is not UTF-8 text: save it again as UTF-8 CSV.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows:
        raise DatasetError("The CSV is empty: it needs a header row and one row per sample.")
    header = [h.strip() for h in rows[0][1]]
    if len(rows) == 1:
        raise DatasetError("The CSV has a header but no data rows: add one row per sample.")
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise DatasetError(f"Row {line} has {len(row)} cells but the header has {len(header)} columns: "
                               "every row needs one cell per column.")
    return header, rows[1:]


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


def labels(rows, col: int, header) -> tuple[np.ndarray, list[str]]:
    raw = [cell(row, col, line, header) for line, row in rows]
    try:
        y = np.array([float(v) for v in raw])
    except ValueError:
        return classes_from_labels(np.array(raw))  # text labels: classes in alphabetical order
    if is_class_labels(y) and np.isfinite(y).all():
        return classes_from_labels(y.astype(np.int64))
    return y.astype(np.float32), []  # numbers with fractions: regression


def parse_csv(data: bytes, options: UploadOptions, name: str) -> Arrays:
    header, rows = read_rows(data)
    if len(set(header)) != len(header):
        raise DatasetError("The CSV header names a column twice: give every column its own name.")
    if options.text_column is not None:
        return _text(header, rows, options, name)
    if len(header) < 2:
        raise DatasetError(f"The CSV has only one column ({header[0]!r}): it needs feature columns and a label "
                           "column.")
    label_col = pick_column(header, options.label_column, "label", "label" if "label" in header else header[-1])
    features = [c for c in range(len(header)) if c != label_col]
    x = np.array([[number(row, c, line, header) for c in features] for line, row in rows], dtype=np.float32)
    y, classes = labels(rows, label_col, header)
    parts = split(x, y, options, stratify=bool(classes))
    meta = {"kind": "features", "name": name, "source": "csv upload",
            "columns": [header[c] for c in features], "label_column": header[label_col]}
    return finish(parts[0], parts[2], parts[1], parts[3], classes, meta)


def tokenize(text: str) -> list[str]:
    return WORD.findall(text.lower())


def vocabulary(texts: list[list[str]], size: int) -> list[str]:
    """<pad>, <unk>, then the most frequent words, ties in alphabetical order so it is reproducible."""
    counts = Counter(w for words in texts for w in words)
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return [PAD, UNK] + ranked[:size - 2]


def encode(words: list[str], index: dict[str, int], seq_len: int) -> list[int]:
    ids = [index.get(w, 1) for w in words[:seq_len]]
    return ids + [0] * (seq_len - len(ids))


def _text(header, rows, options: UploadOptions, name: str) -> Arrays:
    text_col = pick_column(header, options.text_column, "text", options.text_column)
    others = [h for h in header if h != header[text_col]]
    if not others:
        raise DatasetError(f"The CSV has only the text column {header[text_col]!r}: add a label column.")
    label_col = pick_column(header, options.label_column, "label", "label" if "label" in header else others[-1])
    if label_col == text_col:
        raise DatasetError("The label column and the text column are the same: name two different columns.")
    texts = np.array([" ".join(tokenize(row[text_col])) for _, row in rows], dtype=object)
    y, classes = labels(rows, label_col, header)
    t_train, t_test, y_train, y_test = split(texts, y, options, stratify=bool(classes))
    vocab = vocabulary([t.split() for t in t_train], options.vocab_size)  # from training text only
    index = {w: i for i, w in enumerate(vocab)}
    as_ids = lambda ts: np.array([encode(t.split(), index, options.seq_len) for t in ts], dtype=np.int64)
    meta = {"kind": "tokens", "name": name, "source": "csv upload", "vocab": vocab, "seq_len": options.seq_len,
            "text_column": header[text_col], "label_column": header[label_col]}
    return finish(as_ids(t_train).reshape(-1, options.seq_len), y_train,
                  as_ids(t_test).reshape(-1, options.seq_len), y_test, classes, meta)
