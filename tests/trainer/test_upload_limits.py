"""Uploads that would allocate too much are refused before the allocation, with the numbers; token ids
take the smallest integer type and still train."""
import io

import numpy as np
import pytest
import torch
from torch import nn

from tests.trainer.helpers import image_folders, npz_file, zip_file
from trainer.datasets import Arrays
from trainer.engine import TrainConfig, train
from trainer.datasets import DatasetError, UploadOptions, parse_upload


def parse(name: str, data, **options):
    fileobj = io.BytesIO(data.encode() if isinstance(data, str) else data) if isinstance(data, (str, bytes)) else data
    return parse_upload(name, fileobj, UploadOptions(**options))


def refusal(name: str, data, **options) -> str:
    with pytest.raises(DatasetError) as err:
        parse(name, data, **options)
    return str(err.value)


def lying_npz(shape: tuple) -> io.BytesIO:
    """An .npz whose x header claims `shape` float32 values but holds 16 bytes."""
    x = io.BytesIO()
    np.lib.format.write_array_header_1_0(x, {"descr": "<f4", "fortran_order": False, "shape": shape})
    x.write(b"\0" * 16)
    y = io.BytesIO()
    np.save(y, np.arange(4) % 2)
    return zip_file({"x.npy": x.getvalue(), "y.npy": y.getvalue()})


def test_it_refuses_an_npz_header_claiming_a_trillion_values_before_allocating():
    message = refusal("huge.npz", lying_npz((10**6, 10**6)))
    assert message.startswith("The arrays (x [1000000, 1000000], y [4]) make 1,000,000,000,004 values; LayerLab "
                              "takes at most 200,000,000 per dataset (LAYERLAB_MAX_DATASET_VALUES)")


def test_it_refuses_an_npz_header_that_claims_more_than_the_file_holds():
    message = refusal("lie.npz", lying_npz((1000, 10)))
    assert "claims the shape [1000, 10] but the file holds far less" in message


def test_it_counts_every_array_of_an_npz_against_the_values_limit():
    x = np.zeros((30, 10), np.float32)
    data = npz_file(x=x, y=np.arange(30) % 2, x_test=x[:10], y_test=np.arange(10) % 2).getvalue()
    assert refusal("a.npz", data, max_values=439).startswith(
        "The arrays (x [30, 10], y [30], x_test [10, 10], y_test [10]) make 440 values; LayerLab takes at most 439")
    assert parse("a.npz", data, max_values=440).train_size == 30


def test_it_refuses_a_numeric_csv_over_the_values_limit_before_parsing_it():
    rows = "a,b,c,label\n" + "".join(f"{i},{i},{i},{i % 2}\n" for i in range(100))
    message = refusal("t.csv", rows, max_values=200)
    assert message.startswith("Up to 102 rows of 3 feature columns make 306 values; LayerLab takes at most 200")
    assert parse("t.csv", rows, max_values=306).train_size == 80


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_it_reads_rows_ending_in_any_line_break(newline):
    rows = newline.join(["a,b,label"] + [f"{i},{i * 2},{i % 2}" for i in range(10)])
    a = parse("t.csv", rows)
    assert a.train_size + a.test_size == 10 and sorted(a.x_train[:, 0].tolist() + a.x_test[:, 0].tolist()) == list(range(10))


def test_it_refuses_a_text_csv_whose_padded_tokens_pass_the_limit():
    rows = "text,label\n" + "".join(f"word{i % 7} and more,{i % 2}\n" for i in range(2000))
    message = refusal("t.csv", rows, text_column="text", seq_len=4096, max_values=1_000_000)
    assert message.startswith("2,000 texts of seq_len 4,096 tokens make 8,192,000 values; LayerLab takes at most "
                              "1,000,000 per dataset")


def test_it_refuses_a_zip_of_images_over_the_values_limit():
    data = zip_file(image_folders(per_class=5)).getvalue()
    message = refusal("img.zip", data, image_size=(28, 28), max_values=7839)
    assert message.startswith("10 images of 1x28x28 make 7,840 values; LayerLab takes at most 7,839")
    assert parse("img.zip", data, image_size=(28, 28), max_values=7840).train_size == 8


def text_csv(vocabulary: int, rows: int = 40) -> str:
    words = [f"w{i}" for i in range(vocabulary)]
    per_row = -(-vocabulary // rows)
    return "text,label\n" + "".join(f"{' '.join(words[r * per_row:(r + 1) * per_row])},{r % 2}\n" for r in range(rows))


@pytest.mark.parametrize("vocab_size,dtype", [(200, np.uint8), (256, np.uint8), (257, np.uint16),
                                              (65_536, np.uint16), (65_537, np.int32)])
def test_it_stores_token_ids_in_the_smallest_integer_type(vocab_size, dtype):
    a = parse("t.csv", text_csv(vocab_size * 4), text_column="text", seq_len=8, vocab_size=vocab_size, test_fraction=0.5)
    assert len(a.meta["vocab"]) == vocab_size
    assert a.x_train.dtype == dtype and a.x_test.dtype == dtype and a.dtype == "int64"


def test_it_writes_a_long_seq_len_text_csv_at_one_byte_a_token():
    rows = "text,label\n" + "".join(f"word{i % 7} and more,{i % 2}\n" for i in range(4000))
    a = parse("t.csv", rows, text_column="text", seq_len=4096)
    assert a.x_train.nbytes + a.x_test.nbytes == 4000 * 4096  # was 8 bytes a token


def tokens(dtype) -> Arrays:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 250, size=(300, 12)).astype(dtype)
    y = (x[:, 0] > 125).astype(np.int64)
    return Arrays(x[:240], y[:240], x[240:], y[240:], ["low", "high"], {"kind": "tokens"})


class Bag(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.out = nn.Embedding(256, 8), nn.Linear(8, 2)

    def forward(self, x):
        return self.out(self.embed(x).mean(1))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int32])
def test_it_trains_on_narrow_token_ids_exactly_as_on_int64(dtype):
    config = TrainConfig(device="cpu", epochs=2, batch_size=32, seed=3)
    torch.manual_seed(0)
    narrow, wide = Bag(), Bag()
    wide.load_state_dict(narrow.state_dict())
    got, want = train(narrow, tokens(dtype), config), train(wide, tokens(np.int64), config)
    assert got.status == "succeeded" and got.test_loss == want.test_loss and got.train_loss == want.train_loss
