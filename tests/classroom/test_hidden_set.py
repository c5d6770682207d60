"""The hidden test set: scored by the worker's code, never shown to a student anywhere.

The teacher's dataset puts every test input in a band (93.0-93.5) that no other number here
uses, and its test labels in an order unlikely to appear by chance; then every response a
student can reach after a finished lab run is scanned for them."""
import io
import json
import re

import numpy as np
import pytest
import torch
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.compile import compile_graph
from classroom.rules import hidden_split
from tests.classroom.conftest import join
from trainer.routing import websocket_urlpatterns
from trainer.tasks import train_run

RNG = np.random.default_rng(7)
X_TRAIN = RNG.uniform(0, 1, size=(120, 4)).astype("float32")
Y_TRAIN = np.arange(120) % 3
X_TEST = RNG.uniform(93.0, 93.5, size=(40, 4)).astype("float32")
Y_TEST = RNG.integers(0, 3, size=40)
MARK = re.compile(rb"(?<![0-9.])93\.[0-4]")  # not inside a timestamp such as 1764170093.1
HIDDEN_KEYS = {"test_loss", "test_accuracy", "confusion_matrix", "samples", "score_private"}
STARTER = {"format": "layerlab.graph/1", "name": "tiny", "nodes": [
    {"id": "x", "type": "Input", "params": {"shape": [4]}},
    {"id": "hidden", "type": "Linear", "inputs": ["x"], "params": {"out_features": 8, "activation": "relu"}},
    {"id": "out", "type": "Linear", "inputs": ["hidden"], "params": {"out_features": 3}}]}


def label_patterns() -> list[bytes]:
    seq = [int(v) for v in Y_TEST[:12]]
    return [sep.join(str(v) for v in seq).encode() for sep in (", ", ",")]


def keys_in(value) -> set:
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value)) if value else set()
    return set()


def assert_clean(what: str, body: bytes) -> None:
    assert not MARK.search(body), f"{what} shows a hidden test input"
    for pattern in label_patterns():
        assert pattern not in body, f"{what} shows the hidden labels"
    for row in X_TEST:
        assert row.tobytes() not in body, f"{what} holds a hidden test input's bytes"
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    assert not keys_in(data) & HIDDEN_KEYS, f"{what} has {keys_in(data) & HIDDEN_KEYS}"


def upload(teacher) -> dict:
    buf = io.BytesIO()
    np.savez(buf, x=X_TRAIN, y=Y_TRAIN, x_test=X_TEST, y_test=Y_TEST)
    r = teacher.post("/api/datasets/", {"name": "secret", "file": SimpleUploadedFile("s.npz", buf.getvalue())},
                     format="multipart")
    assert r.status_code == 201, r.content
    return r.json()


def replay(user, run_id: int) -> list[dict]:
    async def go():
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/runs/{run_id}/")
        comm.scope["user"] = user
        connected, _ = await comm.connect()
        assert connected
        out = []
        while True:
            message = await comm.receive_json_from(timeout=5)
            out.append(message)
            if message["type"] == "status" and message["status"] in ("succeeded", "failed", "cancelled"):
                break
        await comm.disconnect()
        return out
    return async_to_sync(go)()


@pytest.fixture
def trained(teacher, course, ann):
    ds = upload(teacher)
    lab = teacher.post(f"/api/courses/{course['id']}/labs/", {
        "title": "Secret", "starter": STARTER, "locked": ["x", "out"], "dataset": ds["id"],
        "public_fraction": 0.5, "published": True, "settings": {"epochs": 3, "lr": 0.05}}, format="json").json()
    graph = ann.get(f"/api/labs/{lab['id']}/design/").json()
    r = ann.post("/api/runs/", {"graph": graph["id"], "lab": lab["id"]}, format="json")
    assert r.status_code == 201, r.content
    train_run(r.json()["id"])  # the worker's task, run here
    return lab, ds, r.json()["id"]


@pytest.mark.django_db(transaction=True)
def test_no_student_response_shows_the_hidden_test_set(trained, ann, teacher):
    lab, ds, run_id = trained
    run = ann.get(f"/api/runs/{run_id}/").json()
    assert run["status"] == "succeeded" and 0 <= run["result"]["score_public"] <= 1
    paths = [f"/api/runs/{run_id}/", "/api/runs/", f"/api/runs/{run_id}/metrics/", f"/api/runs/{run_id}/code/",
             f"/api/labs/{lab['id']}/", f"/api/labs/{lab['id']}/runs/", f"/api/labs/{lab['id']}/runs/{run_id}/",
             f"/api/labs/{lab['id']}/runs/{run_id}/metrics/", f"/api/labs/{lab['id']}/leaderboard/",
             f"/api/labs/{lab['id']}/design/", "/api/courses/", f"/api/courses/{lab['course']}/labs/",
             "/api/datasets/", f"/api/datasets/{ds['id']}/preview/"]
    paths += [f"/api/runs/{run_id}/weights/?format={f}" for f in ("pt", "safetensors", "onnx", "torchscript")]
    for path in paths:
        r = ann.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert_clean(path, r.content)
    ann.force_login(ann.user)  # the pages, with the session a browser has
    design = ann.get(f"/api/labs/{lab['id']}/design/").json()["id"]
    for path in (f"/runs/{run_id}/", f"/labs/{lab['id']}/", "/", f"/courses/{lab['course']}/", "/courses/",
                 f"/editor/{design}/?lab={lab['id']}"):
        assert_clean(path, ann.get(path).content)
    messages = replay(ann.user, run_id)
    assert messages[-1]["result"]["score_public"] == run["result"]["score_public"]
    assert_clean("the run's websocket", json.dumps(messages).encode())


@pytest.mark.django_db(transaction=True)
def test_the_scores_are_accuracies_on_the_two_parts(trained, ann, teacher):
    lab, ds, run_id = trained
    seen = teacher.get(f"/api/labs/{lab['id']}/runs/{run_id}/").json()["result"]
    model = compile_graph(STARTER)
    model.load_state_dict(torch.load(io.BytesIO(ann.get(f"/api/runs/{run_id}/weights/?format=pt").content)))
    model.eval()
    public, private = hidden_split(len(Y_TEST), 0.5)
    with torch.no_grad():
        predicted = model(torch.as_tensor(X_TEST)).argmax(-1).numpy()
    assert seen["score_public"] == pytest.approx(float(np.mean(predicted[public] == Y_TEST[public])))
    assert seen["score_private"] == pytest.approx(float(np.mean(predicted[private] == Y_TEST[private])))
    assert seen["params"] == 4 * 8 + 8 + 8 * 3 + 3 and seen["epochs"] == 3


@pytest.mark.django_db(transaction=True)
def test_the_private_score_shows_once_revealed(trained, ann, teacher, make_client, course):
    lab, ds, run_id = trained
    join(make_client("ben"), course)
    private = teacher.get(f"/api/labs/{lab['id']}/runs/{run_id}/").json()["result"]["score_private"]
    assert "score_private" not in ann.get(f"/api/labs/{lab['id']}/leaderboard/").json()[0]
    teacher.post(f"/api/labs/{lab['id']}/reveal/")
    assert ann.get(f"/api/runs/{run_id}/").json()["result"]["score_private"] == private
    board = ann.get(f"/api/labs/{lab['id']}/leaderboard/").json()
    assert [(r["student"], r["run"], r["score_private"]) for r in board] == [("ann", run_id, private)]
