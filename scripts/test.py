"""`make test`: the suite in two lanes side by side, so it takes about as long as the longer lane.

Most tests wait on processes, sockets and browsers rather than on the CPU, so two lanes on a
2-core machine finish well before the same work one after the other. The lanes:

  1. (in front, its output on the terminal) SQLite: every test but the live stacks of
     tests/integration;
  2. (beside it, its output in var/test-lane2.log, shown at the end) the PostgreSQL pass, then
     SQLite's tests/integration, in a data directory of its own (var/test-lane2/), so the two
     SQLite runs never share a test database.

The PostgreSQL pass is every test that reads or writes the database through the app. Left out:
browser tests (they exercise pages, not the database), `make run`'s tests (the embedded defaults
ignore DATABASE_URL by design), static files and the X-ray stream (no database code). Without a
reachable PostgreSQL it says so and is skipped. Extra arguments go to every pytest run.
Exit status: 0 when every run passed.
"""
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_TEST_URL = os.environ.get("PG_TEST_URL", "postgresql://postgres@127.0.0.1:5432/test")
LIVE = "tests/integration"
PG_TESTS = ["tests/api", "tests/classroom", LIVE, "--ignore=tests/integration/test_make_run.py",
            "--ignore=tests/integration/test_static.py", "--ignore=tests/integration/test_live_xray.py"]


def postgres_unreachable() -> str | None:
    """Why PG_TEST_URL cannot be used, or None when it accepts connections."""
    try:
        import psycopg

        psycopg.connect(PG_TEST_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure means: skip the PostgreSQL pass, and say why
        return str(exc).strip() or type(exc).__name__
    return None


def run(title: str, args: list[str], out, **env: str) -> int:
    print(f"--- {title} ---", file=out, flush=True)
    code = subprocess.run([PY, "-m", "pytest", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                          env=dict(os.environ, **env)).returncode
    print(f"--- {title}: {'passed' if code == 0 else f'FAILED (exit {code})'} ---", file=out, flush=True)
    return code


def lane2(extra: list[str], log: Path, codes: list[int], stop: threading.Event) -> None:
    data = ROOT / "var" / "test-lane2"
    data.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as out:
        why = postgres_unreachable()
        if why:
            print(f"--- PostgreSQL at {PG_TEST_URL} is not reachable ({why}): its pass is skipped ---", file=out,
                  flush=True)
        else:
            codes.append(run("PostgreSQL", ["-m", "not browser", *PG_TESTS, *extra], out, DATABASE_URL=PG_TEST_URL))
        if not stop.is_set() and codes[-1:] != [2]:  # pytest's 2: interrupted (Ctrl-C)
            codes.append(run(f"SQLite, {LIVE}", [LIVE, *extra], out, LAYERLAB_DATA_DIR=str(data)))


def summary(text: str) -> str:
    """A passing lane's log, short: the markers, and the line before each verdict (pytest's count)."""
    lines = text.splitlines()
    keep = [line for i, line in enumerate(lines) if line.startswith("--- ")
            or (i + 1 < len(lines) and lines[i + 1].startswith("--- ") and lines[i + 1].endswith(": passed ---"))]
    return "\n".join(keep) + "\n"


def main(extra: list[str]) -> int:
    log = ROOT / "var" / "test-lane2.log"
    log.parent.mkdir(exist_ok=True)
    codes: list[int] = []
    stop = threading.Event()
    beside = threading.Thread(target=lane2, args=(extra, log, codes, stop))
    beside.start()
    try:
        front = run(f"SQLite, all but {LIVE}", [f"--ignore={LIVE}", *extra], sys.stdout)
        beside.join()
    except KeyboardInterrupt:  # Ctrl-C reached every pytest (one process group); start no other
        stop.set()
        beside.join()
        return 130
    text = log.read_text(errors="replace")
    print(f"--- beside it ({log.relative_to(ROOT)}) ---")
    print(text if any(codes) else summary(text), end="")
    return 1 if front or any(codes) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
