"""scripts/test.py, the runner behind `make test`: what it shows of a passing lane, and how it says
that PostgreSQL is missing. (Every `make test` runs the lanes themselves.)"""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def runner():
    spec = importlib.util.spec_from_file_location("layerlab_test_runner", ROOT / "scripts" / "test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOG = """--- PostgreSQL ---
........ [100%]
=============================== warnings summary ===============================
a warning
293 passed, 1 skipped, 3 warnings in 275.92s (0:04:35)
--- PostgreSQL: passed ---
--- SQLite, tests/integration ---
23 passed, 1 warning in 243.49s (0:04:03)
--- SQLite, tests/integration: passed ---
"""


def test_a_passing_lane_shows_each_runs_title_count_and_verdict():
    assert runner().summary(LOG).splitlines() == [
        "--- PostgreSQL ---", "293 passed, 1 skipped, 3 warnings in 275.92s (0:04:35)", "--- PostgreSQL: passed ---",
        "--- SQLite, tests/integration ---", "23 passed, 1 warning in 243.49s (0:04:03)",
        "--- SQLite, tests/integration: passed ---"]


def test_it_says_why_postgresql_cannot_be_used():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    module = runner()
    module.PG_TEST_URL = f"postgresql://postgres@127.0.0.1:{port}/test"  # a fresh copy of the module
    assert "refused" in module.postgres_unreachable().lower()
