"""Runs against a real Redis, a real Celery worker process and a real Daphne, watched through a
real websocket client."""
import io
import json
import time

import numpy as np
import pytest
import torch
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.api.conftest import DIGITS_MLP
from tests.live import wait_for
from trainer.models import Run
from trainer.stream import is_final

pytestmark = pytest.mark.integration
FINAL = set(Run.FINAL)


@pytest.fixture(scope="module")
def alice(live_app):
    _, _, token = live_app.signup()
    return live_app.api(token), token


def start_run(live_app, api, **fields) -> dict:
    body = {"graph": DIGITS_MLP, "dataset": "digits", "epochs": 3, "batch_size": 32}
    body.update(fields)
    r = api.post(f"{live_app.url}/api/runs/", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def watch(live_app, token: str, run_id: int, after: int = 0, limit: int | None = None, timeout: float = 120) -> list[dict]:
    """Messages from the websocket until the server closes it after the run's final status (or
    `limit` messages), read as the run page reads them: a socket that closes before the final
    status reached us is opened again after the last seq. websockets' sync client drops the frames
    of its last read when the server's reset beats its close reply, which a loaded machine allows
    (the server aborts a close handshake left unanswered for a second)."""
    got, deadline = [], time.monotonic() + timeout
    for _ in range(4):
        last = got[-1]["seq"] if got else after
        with connect(f"{live_app.ws_url}/ws/runs/{run_id}/?token={token}&after={last}", open_timeout=10) as ws:
            try:
                while limit is None or len(got) < limit:
                    got.append(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
                return got
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd else None
        if (got and is_final(got[-1])) or (code or 0) >= 4000:
            return got
    return got


def wait_status(live_app, api, run_id: int, statuses: set, timeout: float = 120) -> dict:
    return wait_for(lambda: (r := api.get(f"{live_app.url}/api/runs/{run_id}/").json())["status"] in statuses and r,
                    f"run {run_id} to reach {statuses}", timeout=timeout, interval=0.2)


def test_it_trains_from_request_to_final_status_with_every_message_in_order(live_app, alice):
    api, token = alice
    run = start_run(live_app, api)
    messages = watch(live_app, token, run["id"])
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert [(m["type"], m["status"]) for m in messages[:2]] == [("status", "queued"), ("status", "running")]
    final = messages[-1]
    assert final["type"] == "status" and final["status"] == "succeeded"
    assert final["result"]["test_accuracy"] > 0.5
    metrics = [m for m in messages if m["type"] == "metric"]
    assert {m["split"] for m in metrics} == {"train", "val"}
    assert [m["epoch"] for m in metrics if m["split"] == "val"] == [1, 2, 3]
    assert api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/").json() == messages
    detail = api.get(f"{live_app.url}/api/runs/{run['id']}/").json()
    assert detail["status"] == "succeeded" and detail["result"]["confusion_matrix"]
    assert detail["started"] and detail["finished"] and detail["device"] == "cpu"


def test_it_replays_and_reconnects_without_gaps_or_duplicates(live_app, alice):
    api, token = alice
    run = start_run(live_app, api, epochs=8)
    first = watch(live_app, token, run["id"], limit=4)
    second = watch(live_app, token, run["id"], after=first[-1]["seq"], limit=6)
    rest = watch(live_app, token, run["id"], after=second[-1]["seq"])
    seqs = [m["seq"] for m in first + second + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert rest[-1]["status"] == "succeeded"
    # After the end, a new watcher gets the whole stream again and is closed.
    assert watch(live_app, token, run["id"]) == first + second + rest


def test_it_replays_in_one_frame_when_asked_then_streams_live(live_app, alice):
    api, token = alice
    run = start_run(live_app, api, epochs=8)
    wait_for(lambda: len(api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/").json()) >= 5, "a few messages")
    frames = []
    with connect(f"{live_app.ws_url}/ws/runs/{run['id']}/?token={token}&after=1&replay=batch", open_timeout=10) as ws:
        try:
            while True:
                frames.append(json.loads(ws.recv(timeout=120)))
        except ConnectionClosed:
            pass
    replay, live = frames[0], frames[1:]
    assert replay["type"] == "replay" and len(replay["messages"]) >= 4 and replay["messages"][0]["seq"] == 2
    assert all("messages" not in f for f in live)  # after the replay, one message a frame as before
    messages = replay["messages"] + live
    assert [m["seq"] for m in messages] == list(range(2, len(messages) + 2))
    assert messages[-1]["status"] == "succeeded"
    assert api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/?after=1").json() == messages
    # A finished run's whole stream: one frame, then the server closes.
    with connect(f"{live_app.ws_url}/ws/runs/{run['id']}/?token={token}&replay=batch", open_timeout=10) as ws:
        only = json.loads(ws.recv(timeout=30))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
    assert only == {"type": "replay", "messages": api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/").json()}


def test_it_stops_a_running_run_and_keeps_its_weights(live_app, alice):
    api, token = alice
    run = start_run(live_app, api, epochs=400)
    wait_for(lambda: any(m.get("split") == "val" for m in api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/").json()),
             "a first epoch", timeout=60)
    assert api.post(f"{live_app.url}/api/runs/{run['id']}/stop/").json()["status"] in ("running", "cancelled")
    messages = watch(live_app, token, run["id"])
    assert messages[-1]["status"] == "cancelled"
    assert max(m.get("epoch", 0) for m in messages) < 400
    weights = api.get(f"{live_app.url}/api/runs/{run['id']}/weights/?format=pt")
    assert weights.status_code == 200
    assert set(torch.load(io.BytesIO(weights.content), weights_only=True)) == {"hidden.weight", "hidden.bias", "logits.weight", "logits.bias"}


def test_it_reports_the_queue_position_of_a_waiting_run(live_app, alice):
    api, _ = alice
    busy = start_run(live_app, api, epochs=400)
    wait_status(live_app, api, busy["id"], {"running"})
    waiting = start_run(live_app, api)
    assert waiting["status"] == "queued" and waiting["queue_position"] == 1
    api.post(f"{live_app.url}/api/runs/{waiting['id']}/stop/")
    api.post(f"{live_app.url}/api/runs/{busy['id']}/stop/")
    assert wait_status(live_app, api, busy["id"], {"cancelled"})["status"] == "cancelled"
    assert api.get(f"{live_app.url}/api/runs/{waiting['id']}/").json()["status"] == "cancelled"


def test_it_downloads_weights_and_code_that_agree(live_app, alice):
    api, _ = alice
    run = start_run(live_app, api, epochs=2)
    wait_status(live_app, api, run["id"], {"succeeded"})
    get = lambda fmt: api.get(f"{live_app.url}/api/runs/{run['id']}/weights/?format={fmt}").content  # noqa: E731
    state = torch.load(io.BytesIO(get("pt")), weights_only=True)
    from safetensors.torch import load as load_safetensors

    assert all(torch.equal(state[k], v) for k, v in load_safetensors(get("safetensors")).items())
    namespace: dict = {}
    exec(api.get(f"{live_app.url}/api/runs/{run['id']}/code/").text, namespace)
    module_cls = next(v for v in namespace.values() if isinstance(v, type) and issubclass(v, torch.nn.Module) and v is not torch.nn.Module)
    model = module_cls()
    model.load_state_dict(state)
    model.eval()
    x = torch.rand(5, 1, 8, 8)
    expected = model(x).detach()
    scripted = torch.jit.load(io.BytesIO(get("torchscript")))
    assert torch.allclose(scripted(x), expected, atol=1e-5)
    program = torch.export.load(io.BytesIO(get("pt2")))  # our own server's file
    assert torch.allclose(program.module()(x), expected, atol=1e-5)
    import onnxruntime

    session = onnxruntime.InferenceSession(get("onnx"))
    (onnx_out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    assert np.allclose(onnx_out, expected.numpy(), atol=1e-4)


def test_it_keeps_one_user_out_of_anothers_runs(live_app, alice):
    api, _ = alice
    run = start_run(live_app, api, epochs=1)
    _, _, bob_token = live_app.signup()
    bob = live_app.api(bob_token)
    for path in ("", "metrics/", "weights/?format=pt", "code/"):
        assert bob.get(f"{live_app.url}/api/runs/{run['id']}/{path}").status_code == 404, path
    assert bob.post(f"{live_app.url}/api/runs/{run['id']}/stop/").status_code == 404
    with connect(f"{live_app.ws_url}/ws/runs/{run['id']}/?token={bob_token}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4404
    with connect(f"{live_app.ws_url}/ws/runs/{run['id']}/") as ws:  # no credentials at all
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4401


def test_it_keeps_a_watcher_connected_through_a_long_silence(live_app, alice):
    # A run waiting in the queue sends nothing; its watcher must not be dropped meanwhile
    # (redis-py's 5 s read timeout once crashed the consumer after 5 s of silence).
    api, token = alice
    busy = start_run(live_app, api, epochs=400)
    wait_status(live_app, api, busy["id"], {"running"})
    waiting = start_run(live_app, api)
    try:
        with connect(f"{live_app.ws_url}/ws/runs/{waiting['id']}/?token={token}") as ws:
            assert json.loads(ws.recv(timeout=10))["status"] == "queued"  # the stored opening status
            with pytest.raises(TimeoutError):
                ws.recv(timeout=8)  # nothing arrives, and the connection stays open
            api.post(f"{live_app.url}/api/runs/{waiting['id']}/stop/")
            try:
                message = json.loads(ws.recv(timeout=10))
            except ConnectionClosed:  # the final frame was lost with the close (see watch): reconnect as the page does
                [message] = watch(live_app, token, waiting["id"], after=1, timeout=10)
            assert (message["seq"], message["status"]) == (2, "cancelled")
    finally:
        api.post(f"{live_app.url}/api/runs/{busy['id']}/stop/")
        wait_status(live_app, api, busy["id"], FINAL)
