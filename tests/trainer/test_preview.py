"""Previews, content hashes and stored uploads; and the core's independence from Django."""
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trainer.helpers import image_folders, npz_file, zip_file
from trainer.datasets import UploadOptions, content_hash, load_arrays, parse_upload, preview, save_arrays


def test_it_previews_images_with_class_counts(digits):
    p = preview(digits, n=3)
    assert [s["index"] for s in p["samples"]] == [0, 1, 2]
    s = p["samples"][0]
    assert s["shape"] == [1, 8, 8] and s["class_name"] == str(s["label"]) and s["label_name"] == s["class_name"]
    assert len(s["image"]) == 8 and len(s["image"][0]) == 8 and 0 <= min(min(r) for r in s["image"])
    assert sum(p["class_counts"].values()) == digits.train_size == p["train_size"]
    assert list(p["class_counts"]) == digits.classes and p["test_size"] == digits.test_size


def test_it_previews_rgb_as_pixels_and_signals_as_values(cache_dir):
    from trainer.datasets import load_builtin

    rgb = parse_upload("s.zip", zip_file(image_folders(mode="RGB")), UploadOptions(color="rgb", image_size=(4, 5)))
    image = preview(rgb, 1)["samples"][0]["image"]
    assert len(image) == 4 and len(image[0]) == 5 and len(image[0][0]) == 3
    signal = preview(load_builtin("mnist1d", cache_dir), 1)["samples"][0]
    assert "image" not in signal and len(signal["values"]) == 40


def test_it_previews_token_sequences_as_words():
    rows = "text,label\n" + "".join(f"{'good movie' if i % 2 else 'bad movie'},{i % 2}\n" for i in range(20))
    import io

    a = parse_upload("r.csv", io.BytesIO(rows.encode()), UploadOptions(text_column="text", seq_len=4))
    s = preview(a, 1)["samples"][0]
    assert s["tokens"] in (["good", "movie"], ["bad", "movie"]) and s["text"] == " ".join(s["tokens"])


def test_it_previews_regression_without_class_counts():
    x = np.random.default_rng(0).random((30, 3))
    p = preview(parse_upload("r.npz", npz_file(x=x, y=x.sum(1)), UploadOptions()), 2)
    assert p["class_counts"] == {} and p["samples"][0]["class_name"] is None
    assert isinstance(p["samples"][0]["label"], float)


def test_it_hashes_content_not_identity(digits, tmp_path):
    save_arrays(digits, tmp_path / "d.npz")
    again = load_arrays(tmp_path / "d.npz")
    assert content_hash(again) == content_hash(digits) and len(content_hash(digits)) == 64
    again.x_train = again.x_train.copy()
    again.x_train[0, 0, 0, 0] += 0.5
    assert content_hash(again) != content_hash(digits)
    reshaped = load_arrays(tmp_path / "d.npz")
    reshaped.x_train = reshaped.x_train.reshape(len(reshaped.x_train), 64)
    assert content_hash(reshaped) != content_hash(digits)


def test_it_stores_an_upload_and_reads_it_back(tmp_path):
    a = parse_upload("s.zip", zip_file(image_folders()), UploadOptions())
    save_arrays(a, tmp_path / "u.npz")
    b = load_arrays(tmp_path / "u.npz")
    assert b.classes == a.classes and b.meta == a.meta and content_hash(b) == content_hash(a)
    assert np.load(tmp_path / "u.npz", allow_pickle=False)  # nothing in it needs unpickling


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 2)), min_size=6, max_size=40))
def test_it_reads_back_every_number_written_to_a_csv(rows):
    import io

    text = "value,label\n" + "".join(f"{v!r},{k}\n" for v, k in rows)
    labels = {k for _, k in rows}
    try:
        a = parse_upload("n.csv", io.BytesIO(text.encode()), UploadOptions())
    except Exception as exc:  # one class, or a class left out of training: refused with a message
        assert len(labels) < 2 or "class" in str(exc)
        return
    got = sorted(np.concatenate([a.x_train[:, 0], a.x_test[:, 0]]).tolist())
    assert got == sorted(float(np.float32(v)) for v, _ in rows)


def test_it_imports_the_core_without_django():
    # Every module of the pure packages, so a new one is covered without editing this test.
    code = ("import sys, pkgutil, importlib, trainer.datasets, trainer.engine; "
            "[importlib.import_module(f'{p.__name__}.{m.name}') for p in (trainer.datasets, trainer.engine) "
            "for m in pkgutil.iter_modules(p.__path__)]; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'channels')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
