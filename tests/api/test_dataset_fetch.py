"""Downloadable built-ins through the API and the CLI: listed with their size and presence, fetched
once on a (here: eager) Celery task from a local mirror, never in a web request."""
import io

import pytest
from django.core.management import CommandError, call_command

from tests.api.conftest import SPEC_EXAMPLE
from tests.origins import Origin, closed_port_url, originals, write_mirror
from trainer import dataset_store
from trainer.datasets import BUILTINS, cache_path
from webapp.celery import app as celery_app

MNIST_BYTES = 9_912_422 + 28_881 + 1_648_877 + 4_542  # the published sizes of its four files


@pytest.fixture
def origin(tmp_path, settings, monkeypatch):
    """A local mirror over HTTP, an empty cache, no internet; Celery tasks run in this process."""
    root = tmp_path / "mirror"
    checksums = write_mirror(root, originals())
    settings.LAYERLAB_DATASET_CACHE = tmp_path / "cache"
    settings.LAYERLAB_DATASET_INTERNET = False
    settings.LAYERLAB_DATASET_CHECKSUMS = checksums
    monkeypatch.setattr(dataset_store, "_loaded", {})
    celery_app.conf.task_always_eager = True
    try:
        with Origin(root) as server:
            settings.LAYERLAB_DATASET_MIRROR = server.url
            yield server
    finally:
        celery_app.conf.task_always_eager = False


def test_it_lists_downloadable_built_ins_without_fetching_them(alice, origin):
    listed = {d["id"]: d for d in alice.get("/api/datasets/").json()}
    mnist = listed["mnist"]
    assert mnist["present"] is False and mnist["downloadable"] and mnist["download_bytes"] == MNIST_BYTES
    assert mnist["input_shape"] == [1, 28, 28] and mnist["num_classes"] == 10 and mnist["train_size"] == 60000
    assert mnist["fetch"]["state"] == "absent" and mnist["dtype"] == "float32"
    assert listed["cifar100"]["num_classes"] == 100 and listed["imdb"]["input_shape"] == [50]
    assert listed["imdb"]["dtype"] == "int64" and listed["digits"]["present"] and not listed["digits"]["downloadable"]
    assert origin.requests == {}


def test_it_fetches_on_a_task_once_and_then_serves_the_data(alice, bob, origin, settings):
    assert alice.get("/api/datasets/mnist/preview/").status_code == 409  # not here yet, and not fetched by a GET
    assert origin.requests == {}
    r = alice.post("/api/datasets/mnist/fetch/")
    assert r.status_code == 202, r.content
    status = alice.get("/api/datasets/mnist/fetch/").json()
    assert status["present"] and status["state"] == "ready" and status["fraction"] == 1.0
    assert set(origin.requests.values()) == {1} and len(origin.requests) == 4
    assert bob.post("/api/datasets/mnist/fetch/").status_code == 200  # already there: nothing more fetched
    assert sum(origin.requests.values()) == 4
    detail = bob.get("/api/datasets/mnist/").json()
    assert detail["present"] and detail["fetch"]["state"] == "ready"
    preview = alice.get("/api/datasets/mnist/preview/").json()
    assert preview["dataset"]["train_size"] == 30 and len(preview["samples"][0]["image"]) == 28
    assert cache_path("mnist", settings.LAYERLAB_DATASET_CACHE).exists()


def test_it_reports_a_failed_fetch_in_a_sentence_and_keeps_nothing(alice, origin, settings):
    settings.LAYERLAB_DATASET_MIRROR = closed_port_url()
    assert alice.post("/api/datasets/cifar10/fetch/").status_code == 202
    status = alice.get("/api/datasets/cifar10/fetch/").json()
    assert status["state"] == "failed" and not status["present"]
    assert "LAYERLAB_DATASET_MIRROR" in status["detail"] and "refused" in status["detail"].lower()
    files = [p for p in settings.LAYERLAB_DATASET_CACHE.rglob("*") if p.is_file() and ".status" not in p.parts
             and ".locks" not in p.parts]
    assert files == []
    listed = {d["id"]: d for d in alice.get("/api/datasets/").json()}
    assert listed["cifar10"]["fetch"]["state"] == "failed" and not listed["cifar10"]["present"]


def test_it_answers_bad_fetch_requests_with_a_reason(alice, origin):
    r = alice.post("/api/datasets/imagenet/fetch/")
    assert r.status_code == 404 and "mnist" in r.json()["detail"]
    r = alice.post("/api/datasets/digits/fetch/")
    assert r.status_code == 400 and "generated on this server" in r.json()["detail"]
    assert alice.get("/api/datasets/12345/").status_code == 404
    assert origin.requests == {}


def test_it_declares_an_absent_dataset_well_enough_to_check_a_run(alice, origin):
    arrays, info = dataset_store.declared("cifar10", alice.user)
    assert arrays.input_shape == [3, 32, 32] and arrays.num_classes == 10 and arrays.dtype == "float32"
    assert info["present"] is False and info["hash"] is None and origin.requests == {}
    seen = []
    arrays, info = dataset_store.resolve("cifar10", alice.user, on_progress=seen.append)
    assert arrays.train_size == 20 and info["hash"] and info["present"] and seen[-1] == 1.0
    stand_in, described = dataset_store.declared("cifar10", alice.user)
    assert described["hash"] == info["hash"] and described["present"] and stand_in.train_size == 0  # not loaded


def test_it_fetches_from_the_command_line_and_lists_what_is_present(origin, settings):
    out = io.StringIO()
    call_command("datasets", "fetch", "fashion-mnist", "digits", stdout=out)
    text = out.getvalue()
    assert "fashion-mnist: 100%" in text and "fashion-mnist: ready" in text and "digits: generated" in text
    out = io.StringIO()
    call_command("datasets", "list", stdout=out)
    rows = {line.split()[0]: line.split()[1] for line in out.getvalue().splitlines()[1:]}
    assert rows["fashion-mnist"] == "yes" and rows["mnist"] == "no" and set(rows) == set(BUILTINS)
    out = io.StringIO()
    call_command("datasets", "fetch", "fashion-mnist", stdout=out)
    assert "already present" in out.getvalue()


def test_it_fails_on_the_command_line_with_the_reason(origin, settings):
    with pytest.raises(CommandError, match="no built-in dataset 'nope'"):
        call_command("datasets", "fetch", "nope", stdout=io.StringIO())
    (origin.root / "imdb" / "aclImdb_v1.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(CommandError, match="imdb: aclImdb_v1.tar.gz from .* does not match its published checksum"):
        call_command("datasets", "fetch", "imdb", stdout=io.StringIO())


def test_it_never_fetches_for_a_run_request_in_the_web_process(alice, origin):
    # A run on an absent dataset is checked against its declared shape and queued; the worker fetches.
    r = alice.post("/api/runs/", {"graph": SPEC_EXAMPLE, "dataset": "cifar10"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "queued" and r.json()["dataset_hash"] == ""
    assert origin.requests == {}
    assert alice.post("/api/datasets/cifar10/fetch/").status_code == 202
    r = alice.post("/api/runs/check/", {"graph": SPEC_EXAMPLE, "dataset": "cifar10"}, format="json")
    assert r.status_code == 200 and r.json()["ok"], r.content  # the seed CNN fits [3, 32, 32] and 10 classes
