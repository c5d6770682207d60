"""Real faults against a real Redis, Celery worker and Daphne: a killed pool child, a killed
worker, a worker told to stop. No run is ever left `running` or `queued` without progressing,
every stored point survives, waiting runs run, and a watcher always gets a final status."""
import os
import signal

import pytest

from tests.integration.test_live_runs import FINAL, start_run, wait_status, watch
from tests.live import LiveApp, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # Its own stack: these tests kill and restart its worker.
    live = LiveApp(tmp_path_factory.mktemp("lifecycle"), LAYERLAB_MAX_WAITING_PER_USER="20").start()
    yield live
    live.stop()


@pytest.fixture()
def user(app):
    _, _, token = app.signup()
    return app.api(token), token


def first_epoch(app, api, run_id):
    wait_for(lambda: any(m.get("split") == "val" for m in api.get(f"{app.url}/api/runs/{run_id}/metrics/").json()),
             "a first epoch", timeout=90)


def kill_pool(app) -> None:
    """SIGKILL the worker's pool processes (the training ones; the main process lives on, as after
    an OOM kill) and wait for their replacements."""
    killed = set(app.pool_children())
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: app.pool_children() and not killed & set(app.pool_children()), "a new pool process", timeout=30)


def test_it_fails_a_run_whose_pool_process_was_killed_and_runs_the_next_ones_live(app, user):
    api, token = user
    run = start_run(app, api, epochs=400)
    waiting = start_run(app, api, epochs=1)
    first_epoch(app, api, run["id"])
    kill_pool(app)
    messages = watch(app, token, run["id"], timeout=90)  # nobody polls: the sweep notices
    assert messages[-1]["status"] == "failed" and "worker was lost" in messages[-1]["result"]["error"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert sum(m["type"] == "metric" for m in messages) > 1
    assert api.get(f"{app.url}/api/runs/{run['id']}/weights/?format=safetensors").status_code == 200
    assert wait_status(app, api, waiting["id"], FINAL)["status"] == "succeeded"
    # The main process has now sent a message of its own (the sweep's "failed"). A pool process
    # forked after that once inherited a sender without its thread: 10 s a message, none live.
    kill_pool(app)
    again = start_run(app, api, epochs=1)
    assert watch(app, token, again["id"], timeout=60)[-1]["status"] == "succeeded"
    assert "not sent live" not in app.log("worker")


def test_it_fails_runs_of_a_killed_worker_when_a_worker_starts_again(app, user):
    api, token = user
    run = start_run(app, api, epochs=400)
    waiting = start_run(app, api, epochs=1)
    first_epoch(app, api, run["id"])
    app.kill_worker()  # the whole worker: nothing is left to notice, until one starts again
    assert api.get(f"{app.url}/api/runs/{run['id']}/").json()["status"] == "running"  # reading never writes
    app.start_worker()
    assert watch(app, token, run["id"], timeout=90)[-1]["status"] == "failed"
    assert wait_status(app, api, waiting["id"], FINAL)["status"] == "succeeded"


def test_it_hands_a_run_back_on_a_warm_shutdown_and_finishes_it_later(app, user):
    api, token = user
    run = start_run(app, api, epochs=30)
    first_epoch(app, api, run["id"])
    before = api.get(f"{app.url}/api/runs/{run['id']}/metrics/").json()
    assert app.stop_worker_gracefully() == 0  # the step finishes, the run goes back, the worker exits
    detail = api.get(f"{app.url}/api/runs/{run['id']}/").json()
    assert detail["status"] == "queued" and detail["has_weights"]
    stored = api.get(f"{app.url}/api/runs/{run['id']}/metrics/").json()
    assert stored[:len(before)] == before  # every point survives
    assert stored[-1]["status"] == "queued" and "went back to the queue" in stored[-1]["reason"]
    app.start_worker()
    messages = watch(app, token, run["id"], timeout=180)
    assert messages[-1]["status"] == "succeeded"
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    # It continued from its checkpoint: steps never go back, and each epoch was validated once.
    steps = [m["step"] for m in messages if m.get("split") == "train"]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert [m["epoch"] for m in messages if m.get("split") == "val"] == list(range(1, 31))


def test_it_starts_waiting_runs_round_robin_over_users(app):
    users = [app.api(app.signup()[2]) for _ in range(2)]
    a, b = users
    busy = start_run(app, a, epochs=400)
    wait_status(app, a, busy["id"], {"running"})
    burst = [start_run(app, a, epochs=1) for _ in range(4)]
    late = start_run(app, b, epochs=1)
    # b queued last, yet starts right after a's running run, not after a's burst of four.
    assert late["queue_position"] == 1
    assert [a.get(f"{app.url}/api/runs/{r['id']}/").json()["queue_position"] for r in burst] == [2, 3, 4, 5]
    a.post(f"{app.url}/api/runs/{busy['id']}/stop/")
    for r in burst:
        wait_status(app, a, r["id"], FINAL, timeout=180)
    wait_status(app, b, late["id"], FINAL)
    started = {r["id"]: a.get(f"{app.url}/api/runs/{r['id']}/").json()["started"] for r in burst}
    started[late["id"]] = b.get(f"{app.url}/api/runs/{late['id']}/").json()["started"]
    order = sorted(started, key=started.get)
    assert order[0] == late["id"] and order[1:] == [r["id"] for r in burst]
