"""A run's stream: every message is stored with the next seq first, then sent to the run's group.

Used by the Celery task (points) and by trainer/lifecycle.py (every status). `seq` is unique per
run (a database constraint), so concurrent writers retry.
"""
import asyncio
import logging
import math
import os
import threading
import time

from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import Max

from .models import Run, RunMessage

log = logging.getLogger(__name__)


def group_name(run_id: int) -> str:
    return f"run-{run_id}"


def is_final(message: dict) -> bool:
    """The run's final status: the last message of its stream."""
    return message.get("type") == "status" and message.get("status") in Run.FINAL


class _Sender:
    """One event loop thread per process, so channels_redis keeps one connection pool. A forked
    process starts its own: the worker's main process sends too (the sweep's final statuses), and a
    pool process forked after that would otherwise inherit a loop whose thread it does not have,
    and wait 10 s on every message without sending any."""

    def __init__(self):
        self.forked()
        os.register_at_fork(after_in_child=self.forked)

    def forked(self) -> None:
        self.loop = None
        self.lock = threading.Lock()

    def send(self, group: str, message: dict) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        with self.lock:
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                threading.Thread(target=self.loop.run_forever, daemon=True, name="stream-sender").start()
        event = {"type": "run.message", "message": message}
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), self.loop).result(timeout=10)


_sender = _Sender()


def finite(value):
    """JSON has no NaN or infinity (SQLite's and PostgreSQL's JSON columns refuse them): a diverged
    run's NaN loss or statistic is stored and sent as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def do_append(run_id: int, payload: dict) -> dict:
    """Store `payload` as the run's next message, then send it live. Returns it with its seq."""
    from classroom.wall import lab_route

    payload, lab = lab_route(run_id, finite(payload))  # a lab run's messages also go to its teacher's wall
    for attempt in range(20):
        try:
            with transaction.atomic():
                last = RunMessage.objects.filter(run_id=run_id).aggregate(m=Max("seq"))["m"] or 0
                message = dict(payload, seq=last + 1)
                RunMessage.objects.create(run_id=run_id, seq=last + 1, payload=message)
            break
        except IntegrityError:
            time.sleep(0.01 * (attempt + 1))  # another writer took this seq: take the next
    else:
        raise RuntimeError(f"could not store a message for run {run_id}")
    try:
        _sender.send(group_name(run_id), message)
    except Exception:  # Redis restarting: the message is stored, and watchers replay it from the store
        log.warning("run %s: message %s stored but not sent live", run_id, message["seq"], exc_info=True)
    if lab:
        try:
            _sender.send(lab[0], dict(message, **lab[1]))
        except Exception:
            log.warning("run %s: message %s not sent to the teacher's wall", run_id, message["seq"], exc_info=True)
    return message


def messages_after(run_id: int, after: int) -> list[dict]:
    return list(RunMessage.objects.filter(run_id=run_id, seq__gt=after).values_list("payload", flat=True))
