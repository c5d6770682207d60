"""The worker's main process forks its pool at start and again whenever a pool process dies, while
its own threads use the database and send stream messages (the sweep). What a forked process
inherits must not stop it: these tests fork for real.

- A child forked mid-transaction inherited SQLite's memory of the parent's locks and could never
  write ("database is locked"), which once stopped every run of a live worker after a pool process
  was killed.
- A child forked after the parent sent a stream message inherited the sender's event loop without
  its thread, and waited 10 s on every message without sending any."""
import os
import sqlite3
import threading
import time

import pytest
from django.db import connection, transaction

from trainer import tasks
from trainer.models import Run
from trainer.stream import _sender


def in_child(check) -> bool:
    """Fork now; True when `check()` passes in the child."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = 0 if check() else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def slow_sweep(inside: threading.Event):
    """A sweep's stand-in that holds a write transaction for a second, as a sweep on a busy
    database does (the real sweep's transactions are shorter, which made the fault rare)."""
    def work():
        with transaction.atomic():
            Run.objects.filter(pk=-1).update(status="queued")  # a write: SQLite's write lock is taken
            inside.set()
            threading.Event().wait(1.0)
    return work


def can_write(path: str):
    """The child writes to the database with a new connection of its own."""
    def check() -> bool:
        db = sqlite3.connect(path, timeout=5, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE trainer_run SET status = status WHERE id = -1")
        db.execute("COMMIT")
        return True
    return check


def fork_during_sweep() -> bool:
    inside = threading.Event()
    sweeper = tasks.Sweeper(interval=60, work=slow_sweep(inside))
    sweeper.start()
    assert inside.wait(10)
    try:
        return in_child(can_write(connection.settings_dict["NAME"]))
    finally:
        sweeper.done.set()
        sweeper.join(10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the inherited lock state is SQLite's")
def test_a_pool_process_forked_during_a_sweep_can_write_to_the_database():
    tasks.guard_forks()  # as the worker's main process does when it is ready
    assert fork_during_sweep()


def test_a_pool_process_forked_after_the_parent_sent_a_message_sends_its_own_at_once():
    _sender.send("run-0", {"type": "status", "status": "failed", "seq": 1})  # as the sweep sends a lost run's end

    def sends_at_once() -> bool:
        started = time.monotonic()
        _sender.send("run-0", {"type": "metric", "seq": 2})
        return time.monotonic() - started < 5

    assert in_child(sends_at_once)
