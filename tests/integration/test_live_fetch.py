"""Two users' runs on the same built-in that is not on the server yet, trained at once by one worker
(two pool processes): the dataset is fetched from the mirror once, both runs show "preparing data"
in their stream before their first point, and both succeed. Real Redis, Celery and Daphne."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.live import wait_for
from tests.origins import IDX_NAMES, Origin, app_on_mirror, originals, write_mirror

pytestmark = pytest.mark.integration

MNIST_MLP = {"format": "layerlab.graph/1", "name": "mnist-mlp", "nodes": [
    {"id": "image", "type": "Input", "params": {"shape": [1, 28, 28]}},
    {"id": "flat", "type": "Flatten", "inputs": ["image"]},
    {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}}]}


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    checksums = write_mirror(root, originals())  # mnist here: four small idx.gz files
    with Origin(root) as server:
        yield server, checksums
        server.gate.set()  # never leave a request hanging


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, origin):
    """This module's own LayerLab: an empty dataset cache, the mirror, no internet, two runs per worker."""
    app = app_on_mirror(tmp_path_factory.mktemp("live-fetch"), *origin, LAYERLAB_RUNS_PER_WORKER="2").start()
    yield app
    app.stop()


def stream(app, api, run_id: int) -> list[dict]:
    return api.get(f"{app.url}/api/runs/{run_id}/metrics/").json()


def first(messages: list[dict], kind: str) -> int:
    return next(i for i, m in enumerate(messages) if m["type"] == kind)


@pytest.mark.timeout(600)
def test_it_fetches_a_dataset_once_for_two_runs_that_ask_at_once(live_app, origin):
    server, _ = origin
    users = [live_app.api(live_app.signup()[2]) for _ in range(2)]
    body = {"graph": MNIST_MLP, "dataset": "mnist", "epochs": 1, "batch_size": 16}
    server.gate.clear()  # the mirror holds its answers until both runs are waiting for the data
    with ThreadPoolExecutor(2) as pool:
        posted = list(pool.map(lambda api: api.post(f"{live_app.url}/api/runs/", json=body), users))
    assert [r.status_code for r in posted] == [201, 201], [r.text for r in posted]
    runs = [(api, r.json()["id"]) for api, r in zip(users, posted)]
    try:
        # One process is fetching (its first request is held at the mirror); the other waits for it and
        # says so in its stream. Neither can have the data yet, so both are past the queue at once.
        wait_for(lambda: sum(server.requests.values()) == 1, "the first request at the mirror", timeout=120)
        wait_for(lambda: any(m["type"] == "progress" for api, pk in runs for m in stream(live_app, api, pk)),
                 "a run waiting for the other's download", timeout=60)
        assert [api.get(f"{live_app.url}/api/runs/{pk}/").json()["status"] for api, pk in runs] == ["running"] * 2
    finally:
        server.gate.set()
    for api, pk in runs:
        wait_for(lambda: api.get(f"{live_app.url}/api/runs/{pk}/").json()["status"] in
                 {"succeeded", "failed", "cancelled", "timed_out"}, f"run {pk} to end", timeout=300, interval=0.5)

    assert server.requests == {f"/mnist/{name}": 1 for name in IDX_NAMES.values()}
    for api, pk in runs:
        detail = api.get(f"{live_app.url}/api/runs/{pk}/").json()
        assert detail["status"] == "succeeded", detail
        assert detail["dataset_hash"] and detail["result"]["test_accuracy"] is not None
        messages = stream(live_app, api, pk)
        progress = [m for m in messages if m["type"] == "progress"]
        assert progress and {m["stage"] for m in progress} == {"preparing data"}
        assert first(messages, "progress") < first(messages, "metric")
        assert [m["epoch"] for m in messages if m["type"] == "metric" and m["split"] == "val"] == [1]
    assert len({api.get(f"{live_app.url}/api/runs/{pk}/").json()["dataset_hash"] for api, pk in runs}) == 1
