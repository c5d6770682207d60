"""Uploads in every format, made here, and every way they can be bad, each with its message."""
import io

import numpy as np
import pytest

from tests.trainer.helpers import image_folders, npz_file, png, zip_file
from trainer.datasets import DatasetError, UploadOptions, parse_upload


def parse(name: str, data, **options):
    fileobj = io.BytesIO(data.encode() if isinstance(data, str) else data) if isinstance(data, (str, bytes)) else data
    return parse_upload(name, fileobj, UploadOptions(**options))


def refused(name: str, data, *words: str, **options) -> str:
    with pytest.raises(DatasetError) as err:
        parse(name, data, **options)
    message = str(err.value)
    for word in words:
        assert word in message, message
    return message


# --- NPZ ---------------------------------------------------------------------------------

def test_it_reads_an_npz_and_holds_out_a_seeded_test_split():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 5)), np.repeat([3, 7, 9, 12], 25)
    a = parse("blobs.npz", npz_file(x=x, y=y))
    assert a.input_shape == [5] and a.dtype == "float32" and a.x_train.dtype == np.float32
    assert a.classes == ["3", "7", "9", "12"] and set(a.y_train.tolist()) == {0, 1, 2, 3}
    assert (a.train_size, a.test_size) == (80, 20) and a.meta["kind"] == "features" and a.meta["name"] == "blobs"
    assert np.array_equal(parse("b.npz", npz_file(x=x, y=y)).x_test, a.x_test)
    assert not np.array_equal(parse("b.npz", npz_file(x=x, y=y), seed=1).x_test, a.x_test)


def test_it_keeps_a_given_test_set_and_images_shape():
    x = np.random.default_rng(0).random((20, 1, 6, 6))
    a = parse("img.npz", npz_file(x=x, y=np.arange(20) % 2, x_test=x[:4], y_test=np.array([0, 1, 0, 1])))
    assert a.input_shape == [1, 6, 6] and (a.train_size, a.test_size) == (20, 4) and a.meta["kind"] == "image"


def test_it_reads_float_targets_as_regression():
    x = np.random.default_rng(0).random((50, 3))
    a = parse("reg.npz", npz_file(x=x, y=x.sum(axis=1)))
    assert a.classes == [] and a.num_classes is None and a.y_train.dtype == np.float32


def test_it_reads_integer_inputs_as_token_ids():
    a = parse("tok.npz", npz_file(x=np.arange(40).reshape(10, 4) % 9, y=np.arange(10) % 2))
    assert a.dtype == "int64" and a.meta["kind"] == "tokens"


def test_it_refuses_a_damaged_npz():
    refused("x.npz", b"this is not a zip file", "npz", "could not be read")


def test_it_never_unpickles_an_object_array():
    buf = io.BytesIO()
    np.savez(buf, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    refused("x.npz", buf.getvalue(), "'x' holds Python objects", "never unpickles")


def test_it_refuses_mismatched_lengths():
    refused("x.npz", npz_file(x=np.zeros((60, 2)), y=np.arange(59) % 2), "x has 60 samples but y has 59 labels")


def test_it_refuses_an_npz_without_y():
    refused("x.npz", npz_file(x=np.zeros((6, 2)), labels=np.arange(6)), "no array named 'y'", "labels")


def test_it_refuses_text_arrays():
    refused("x.npz", npz_file(x=np.zeros((4, 2)), y=np.array(["a", "b", "a", "b"])), "'y' holds", "not numbers")


def test_it_refuses_nan_inputs():
    x = np.zeros((10, 2))
    x[4, 1] = np.nan
    refused("x.npz", npz_file(x=x, y=np.arange(10) % 2), "NaN", "sample 4")


def test_it_refuses_one_class_in_an_npz():
    refused("x.npz", npz_file(x=np.zeros((10, 2)), y=np.full(10, 4)), "same label ('4')", "two classes")


def test_it_refuses_empty_arrays():
    refused("x.npz", npz_file(x=np.zeros((0, 2)), y=np.zeros(0, np.int64)), "empty")


def test_it_refuses_half_a_test_set():
    refused("x.npz", npz_file(x=np.zeros((6, 2)), y=np.arange(6) % 2, x_test=np.zeros((2, 2))), "x_test and y_test")


def test_it_refuses_a_test_set_of_another_shape():
    refused("x.npz", npz_file(x=np.zeros((6, 2)), y=np.arange(6) % 2, x_test=np.zeros((2, 3)), y_test=np.array([0, 1])),
            "x_test samples are [3]", "x samples are [2]")


def test_it_refuses_an_npz_that_inflates_hugely():
    refused("x.npz", npz_file(compressed=True, x=np.zeros((8000, 1000), np.float32), y=np.arange(8000) % 2),
            "zip bombs")


# --- CSV ---------------------------------------------------------------------------------

IRIS = "sepal,petal_width,species\n" + "".join(f"{i % 7}.5,{i % 3},{['setosa', 'virginica'][i % 2]}\n"
                                               for i in range(30))


def test_it_reads_a_numeric_csv_with_a_text_label_column():
    a = parse("iris.csv", IRIS)
    assert a.input_shape == [2] and a.classes == ["setosa", "virginica"] and a.train_size + a.test_size == 30
    assert a.meta["columns"] == ["sepal", "petal_width"] and a.meta["label_column"] == "species"


def test_it_prefers_a_column_named_label_and_takes_semicolons():
    a = parse("d.csv", "label;a;b\n" + "".join(f"{i % 2};{i};{i * 2}\n" for i in range(20)))
    assert a.classes == ["0", "1"] and a.meta["columns"] == ["a", "b"]


def test_it_reads_numeric_targets_with_fractions_as_regression():
    a = parse("r.csv", "a,price\n" + "".join(f"{i},{i * 1.5 + 0.25}\n" for i in range(20)))
    assert a.classes == [] and a.y_train.dtype == np.float32


def test_it_names_the_row_and_column_of_a_bad_cell():
    bad = IRIS.splitlines()
    bad[13] = "2.5,abc,setosa"
    refused("iris.csv", "\n".join(bad), "Row 14, column 'petal_width': 'abc' is not a number")


def test_it_names_an_empty_cell():
    refused("x.csv", "a,b,label\n1,2,x\n3,,y\n", "Row 3, column 'b' is empty")


def test_it_refuses_an_empty_csv():
    refused("x.csv", "", "empty")
    refused("x.csv", "\n\n", "The CSV is empty")
    refused("x.csv", "a,label\n", "no data rows")


def test_it_refuses_a_csv_with_one_class():
    refused("x.csv", "a,label\n1,x\n2,x\n3,x\n", "same label ('x')", "class")


def test_it_refuses_a_missing_label_column():
    refused("x.csv", IRIS, "no label column 'target'", "sepal, petal_width, species", label_column="target")
    refused("x.csv", "a\n1\n2\n", "only one column ('a')", "label column")


def test_it_refuses_ragged_rows():
    refused("x.csv", "a,b,label\n1,2,x\n3,y\n", "Row 3 has 2 cells but the header has 3 columns")


def test_it_refuses_binary_or_non_utf8_csv():
    refused("x.csv", b"\x00\x01\x02garbage", "binary")
    refused("x.csv", "a,label\n1,caf\xe9\n".encode("latin-1"), "UTF-8")


def test_it_turns_a_text_column_into_padded_token_ids():
    rows = "review,label\n" + "".join(f"\"{'great fun' if i % 2 else 'dull, dull film'} number {i}\",{'pos' if i % 2 else 'neg'}\n"
                                      for i in range(40))
    a = parse("reviews.csv", rows, text_column="review", seq_len=5, vocab_size=6)
    assert a.input_shape == [5] and a.dtype == "int64" and a.meta["kind"] == "tokens"
    # counts: dull 40, number 40, film 20, fun 20, great 20: ties go alphabetically, "great" misses out
    assert a.meta["vocab"] == ["<pad>", "<unk>", "dull", "number", "film", "fun"]
    rows_by_class = {name: a.x_train[a.y_train == k][0].tolist() for k, name in enumerate(a.classes)}
    assert rows_by_class["neg"] == [2, 2, 4, 3, 1]  # dull dull film number <unk>: cut to seq_len
    assert rows_by_class["pos"] == [1, 5, 3, 1, 0]  # <unk> fun number <unk> <pad>: padded


def test_it_refuses_a_missing_text_column():
    refused("x.csv", IRIS, "no text column 'review'", text_column="review")


# --- ZIP ---------------------------------------------------------------------------------

def test_it_reads_a_zip_of_class_folders_resized():
    a = parse("shapes.zip", zip_file(image_folders()), image_size=(16, 20))
    assert a.input_shape == [1, 16, 20] and a.classes == ["circle", "square"] and a.train_size + a.test_size == 12
    assert a.x_train.dtype == np.float32 and 0 <= a.x_train.min() and a.x_train.max() <= 1
    assert a.meta["kind"] == "image"


def test_it_reads_rgb_and_looks_through_one_wrapper_folder():
    members = image_folders(prefix="shapes/", mode="RGB")
    members["__MACOSX/shapes/._circle"] = b"junk"
    members["shapes/.DS_Store"] = b"junk"
    a = parse("shapes.zip", zip_file(members), color="rgb")
    assert a.input_shape == [3, 28, 28] and a.classes == ["circle", "square"]


def test_it_counts_nested_folders_under_their_class():
    members = image_folders()
    members["circle/more/extra.png"] = png(5)
    a = parse("s.zip", zip_file(members))
    assert a.train_size + a.test_size == 13


def test_it_refuses_path_traversal():
    members = image_folders()
    members["../evil/1.png"] = png(1)
    refused("s.zip", zip_file(members), "unsafe path '../evil/1.png'")
    members = image_folders()
    members["/etc/cron.d/x.png"] = png(1)
    refused("s.zip", zip_file(members), "unsafe path", "absolute")


def test_it_refuses_a_zip_bomb_before_inflating_it():
    members = image_folders()
    members["circle/bomb.png"] = bytes(40 * 2**20)  # 40 MB of zeros: a few tens of KB compressed
    refused("s.zip", zip_file(members), "'circle/bomb.png' is compressed over 100 times", "zip bomb")


def test_it_refuses_a_member_too_large_even_if_stored():
    members = image_folders()
    members["circle/huge.png"] = bytes(51 * 2**20)
    refused("s.zip", zip_file(members, compression=0), "'circle/huge.png' unpacks to 51 MB", "limit per file")


def test_it_refuses_too_many_members():
    refused("s.zip", zip_file({f"a/{i}.png": b"" for i in range(20_001)}, compression=0), "20,001 files",
            "limit is 20,000")


def test_it_explains_a_non_image_file():
    members = image_folders()
    members["circle/notes.txt"] = b"hello"
    refused("s.zip", zip_file(members), "'circle/notes.txt' is not an image", "png", "remove it")


def test_it_explains_a_damaged_image():
    members = image_folders()
    members["circle/broken.png"] = b"\x89PNG not really"
    refused("s.zip", zip_file(members), "'circle/broken.png' could not be read as an image")


def test_it_refuses_images_outside_class_folders_and_a_single_class():
    refused("s.zip", zip_file({"a.png": png(1), "b.png": png(2)}), "'a.png' is not inside a class folder")
    refused("s.zip", zip_file(image_folders(classes=("cat",))), "same label ('cat')")


def test_it_refuses_a_damaged_zip():
    refused("s.zip", b"PK\x03\x04 broken", "could not be opened", "zip")


# --- any format --------------------------------------------------------------------------

def test_it_refuses_an_unknown_extension():
    refused("x.exe", b"MZ", "'x.exe' is not a format", ".npz", ".csv", ".zip")


def test_it_refuses_an_empty_file():
    refused("x.npz", b"", "The file is empty")


def test_it_refuses_a_file_over_the_limit_without_reading_it_all():
    big = io.BytesIO(b"a,label\n" + b"1,x\n" * 1000)
    with pytest.raises(DatasetError, match="larger than the 0 MB limit"):
        parse_upload("x.csv", big, UploadOptions(), max_bytes=100)
    assert big.tell() == 101


def test_it_refuses_bad_options():
    refused("x.csv", IRIS, "test_fraction must be between 0 and 1", test_fraction=1.5)
    refused("x.zip", b"PK", "color must be grey or rgb", color="blue")
