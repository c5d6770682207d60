"""Downloaded built-ins: the real fetch, checksum, extract and parse code against a local HTTP
server and a mirror folder of small files in each dataset's original format."""
import multiprocessing
import subprocess

import numpy as np
import pytest

from tests.origins import Origin, cifar10_like, cifar100_like, closed_port_url, mnist_like, originals, write_mirror
from trainer.datasets import (BUILTINS, FetchError, FetchSettings, NotPresent, cache_path, content_hash, load_builtin,
                              read_status)
from trainer.datasets.download import fetch_file
from trainer.datasets.sources import Source
from trainer.datasets.catalogue import CIFAR100_CLASSES, CIFAR10_CLASSES, FASHION_CLASSES

DOWNLOADED = ["mnist", "fashion-mnist", "cifar10", "cifar100", "imdb"]


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    return root, write_mirror(root, originals())


def settings_for(location: str, checksums: dict) -> FetchSettings:
    return FetchSettings(mirror=location, internet=False, checksums=checksums, timeout=5)


def leftovers(cache) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file() and ".status" not in p.parts
                  and ".locks" not in p.parts)


@pytest.mark.parametrize("name", DOWNLOADED)
def test_it_fetches_each_dataset_over_http_and_matches_its_declared_shape(name, mirror, tmp_path):
    root, checksums = mirror
    cache = tmp_path / "cache"
    seen = []
    with Origin(root) as origin:
        a = load_builtin(name, cache, settings_for(origin.url, checksums), on_progress=seen.append)
    spec = BUILTINS[name]
    assert a.input_shape == spec.input_shape and a.classes == spec.classes and a.dtype == spec.dtype
    assert a.meta["kind"] == spec.kind and a.meta["name"] == name
    assert seen[-1] == 1.0 and seen == sorted(seen)
    npz = cache_path(name, cache)
    assert leftovers(cache) == [npz.name, npz.name + ".sha256"]  # the originals and temp files are gone
    assert (cache / (npz.name + ".sha256")).read_text() == content_hash(a)
    assert read_status(cache, name)["state"] == "ready"
    assert load_builtin(name, cache).train_size == a.train_size  # present now: no fetch needed


def test_it_reads_mnist_idx_files_as_uint8_images_channels_first(mirror, tmp_path):
    root, checksums = mirror
    _, expected = mnist_like()
    a = load_builtin("mnist", tmp_path / "c", settings_for(str(root), checksums))  # a mirror folder
    assert a.x_train.dtype == np.uint8 and a.x_train.shape == (30, 1, 28, 28) and a.meta["pixels"] == "0..255"
    assert np.array_equal(a.x_train[:, 0], expected["train_x"]) and np.array_equal(a.y_test, expected["test_y"])
    assert a.y_train.dtype == np.int64 and a.dtype == "float32"
    fashion = load_builtin("fashion-mnist", tmp_path / "c", settings_for(str(root), checksums))
    assert fashion.classes == FASHION_CLASSES and not np.array_equal(fashion.x_train, a.x_train)


def test_it_reads_cifar_binary_records_in_their_order(mirror, tmp_path):
    root, checksums = mirror
    c10 = load_builtin("cifar10", tmp_path, settings_for(str(root), checksums))
    _, expected = cifar10_like()
    assert c10.x_train.shape == (20, 3, 32, 32) and c10.x_train.dtype == np.uint8 and c10.classes == CIFAR10_CLASSES
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert np.array_equal(getattr(c10, key), expected[key]), key
    c100 = load_builtin("cifar100", tmp_path, settings_for(str(root), checksums))
    _, expected = cifar100_like()
    assert np.array_equal(c100.y_train, expected["y_train"]) and np.array_equal(c100.x_test, expected["x_test"])
    assert c100.num_classes == 100 and c100.classes == CIFAR100_CLASSES


def test_it_tokenizes_imdb_like_csv_text_with_the_smallest_int_type(mirror, tmp_path):
    root, checksums = mirror
    a = load_builtin("imdb", tmp_path, settings_for(str(root), checksums))
    assert (a.train_size, a.test_size) == (5, 3) and a.classes == ["neg", "pos"]
    assert a.x_train.dtype == np.uint8 and a.dtype == "int64" and a.x_train.shape == (5, 50)
    vocab = a.meta["vocab"]
    assert vocab[:7] == ["<pad>", "<unk>", "awful", "a", "acting", "and", "boring"]  # by count, ties alphabetically
    assert "br" not in vocab and "unlabelled" not in vocab  # markup and unlabelled reviews left out
    words = {" ".join(vocab[t] for t in row if t) for row in a.x_train}
    assert "a wonderful film wonderful acting loved it" in words
    labels = {" ".join(vocab[t] for t in row if t): int(y) for row, y in zip(a.x_train, a.y_train)}
    assert labels["dull and awful"] == 0 and labels["great fun and a great cast"] == 1
    assert any(1 in row for row in a.x_test)  # "mess" was never seen in training: <unk>


def test_it_refuses_a_file_with_the_wrong_bytes_and_keeps_nothing(mirror, tmp_path):
    root, checksums = mirror
    path = root / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with Origin(root) as origin, pytest.raises(FetchError, match="does not match its published checksum"):
        load_builtin("mnist", tmp_path / "c", settings_for(origin.url, checksums))
    assert not cache_path("mnist", tmp_path / "c").exists() and not list((tmp_path / "c").rglob("*.part"))
    assert read_status(tmp_path / "c", "mnist")["state"] == "failed"


def test_it_refuses_the_canonical_table_when_the_mirror_holds_other_files(mirror, tmp_path):
    root, _ = mirror  # the real MD5s: the small test files cannot match them
    with pytest.raises(FetchError, match=r"expected f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        load_builtin("mnist", tmp_path, settings_for(str(root), {}))


def test_it_reports_a_download_cut_short_and_keeps_nothing(mirror, tmp_path):
    root, checksums = mirror
    with Origin(root) as origin:
        origin.cut["/cifar10/cifar-10-binary.tar.gz"] = 1000
        with pytest.raises(FetchError, match=r"stopped after 1,000 of [\d,]+ bytes"):
            load_builtin("cifar10", tmp_path / "c", settings_for(origin.url, checksums))
    assert leftovers(tmp_path / "c") == []


def test_it_reports_a_truncated_archive_even_with_a_matching_checksum(tmp_path):
    data, _ = cifar10_like()
    checksums = write_mirror(tmp_path / "m", {"cifar10": {"cifar-10-binary.tar.gz": data[: len(data) // 2]}})
    with pytest.raises(Exception, match="damaged or cut short"):
        load_builtin("cifar10", tmp_path / "c", settings_for(str(tmp_path / "m"), checksums))
    assert leftovers(tmp_path / "c") == []


def test_it_names_the_mirror_setting_when_nothing_can_be_reached(tmp_path):
    with pytest.raises(FetchError, match="LAYERLAB_DATASET_MIRROR") as info:
        load_builtin("imdb", tmp_path, settings_for(closed_port_url(), {}))
    assert "refused" in str(info.value).lower()
    with pytest.raises(FetchError, match="LAYERLAB_DATASET_MIRROR"):
        load_builtin("imdb", tmp_path, FetchSettings(mirror=None, internet=False))
    assert leftovers(tmp_path) == []


def test_it_tries_the_canonical_urls_when_the_mirror_lacks_the_file(mirror, tmp_path):
    root, checksums = mirror
    with Origin(root) as origin:
        source = Source("cifar-100-binary.tar.gz", checksums["cifar100/cifar-100-binary.tar.gz"], 1,
                        (f"{closed_port_url()}/gone.tar.gz", f"{origin.url}/cifar100/cifar-100-binary.tar.gz"))
        done = []
        path = fetch_file("cifar100", source, tmp_path / "c", FetchSettings(mirror=str(tmp_path / "empty")),
                          done.append)
    assert path.read_bytes() == (root / "cifar100" / "cifar-100-binary.tar.gz").read_bytes()
    assert sum(done) == path.stat().st_size and origin.requests == {"/cifar100/cifar-100-binary.tar.gz": 1}


def test_it_never_fetches_without_being_asked(tmp_path):
    with pytest.raises(NotPresent, match="manage.py datasets fetch mnist"):
        load_builtin("mnist", tmp_path)
    stand_in = BUILTINS["cifar10"].stand_in("cifar10")
    assert stand_in.input_shape == [3, 32, 32] and stand_in.num_classes == 10 and stand_in.train_size == 0
    assert BUILTINS["imdb"].stand_in("imdb").dtype == "int64"


def _fetch(args) -> tuple:
    cache, url, checksums = args
    a = load_builtin("cifar10", cache, settings_for(url, checksums))
    return a.train_size, int(a.x_train.sum())


def test_it_downloads_once_when_two_processes_ask_at_once(mirror, tmp_path):
    root, checksums = mirror
    with Origin(root, delay=0.04, chunk=2048) as origin:  # about 1.5 s: both processes ask meanwhile
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map(_fetch, [(str(tmp_path / "c"), origin.url, checksums)] * 2)
    assert results[0] == results[1] and results[0][0] == 20
    assert origin.requests == {"/cifar10/cifar-10-binary.tar.gz": 1}


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 32 KB filesystem (tmpfs), so writing past it fails with ENOSPC from the kernel."""
    where = tmp_path / "tiny"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_it_says_the_disk_is_full_and_leaves_nothing_there(mirror, tiny_disk):
    root, checksums = mirror
    with pytest.raises(FetchError, match="The disk holding .* is full"):
        load_builtin("cifar10", tiny_disk, settings_for(str(root), checksums))
    assert leftovers(tiny_disk) == []


def _fetch_or_error(args) -> str:
    try:
        return str(_fetch(args))
    except FetchError as exc:
        return str(exc)


def test_it_tries_once_when_two_processes_ask_and_the_download_fails(mirror, tmp_path):
    root, checksums = mirror
    path = root / "cifar10" / "cifar-10-binary.tar.gz"
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    with Origin(root, delay=0.04, chunk=2048) as origin:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            results = pool.map(_fetch_or_error, [(str(tmp_path / "c"), origin.url, checksums)] * 2)
    assert all("does not match its published checksum" in r for r in results), results
    assert origin.requests == {"/cifar10/cifar-10-binary.tar.gz": 1}  # the waiter took the same answer
