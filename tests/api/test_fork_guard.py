"""The worker's main process forks its pool while its sweep thread may be using the database. A child
forked mid-transaction inherits SQLite's memory of the parent's locks and can never write ("database
is locked"), which once stopped every run of a live worker after a pool process was killed. These
tests fork for real, in the middle of a real write transaction on the test database file."""
import os
import sqlite3
import threading

import pytest
from django.db import connection, transaction

from trainer import tasks
from trainer.models import Run

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "sqlite", reason="the inherited lock state is SQLite's")]


def slow_sweep(inside: threading.Event):
    """A sweep's stand-in that holds a write transaction for a second, as a sweep on a busy
    database does (the real sweep's transactions are shorter, which made the fault rare)."""
    def work():
        with transaction.atomic():
            Run.objects.filter(pk=-1).update(status="queued")  # a write: SQLite's write lock is taken
            inside.set()
            threading.Event().wait(1.0)
    return work


def child_can_write(path: str) -> bool:
    """Fork now; the child writes to the database with a new connection of its own."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            db = sqlite3.connect(path, timeout=5, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("UPDATE trainer_run SET status = status WHERE id = -1")
            db.execute("COMMIT")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def fork_during_sweep() -> bool:
    inside = threading.Event()
    sweeper = tasks.Sweeper(interval=60, work=slow_sweep(inside))
    sweeper.start()
    assert inside.wait(10)
    try:
        return child_can_write(connection.settings_dict["NAME"])
    finally:
        sweeper.done.set()
        sweeper.join(10)


def test_a_pool_process_forked_during_a_sweep_can_write_to_the_database():
    tasks.guard_forks()  # as the worker's main process does when it is ready
    assert fork_during_sweep()
