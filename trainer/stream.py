"""A run's stream: every message is stored with the next seq first, then sent to the run's group.

Used by the Celery task (points, statuses) and by the web process (a queued run stopped, a lost
worker noticed). `seq` is unique per run (a database constraint), so concurrent writers retry.
"""
import asyncio
import threading
import time
from datetime import timedelta, timezone as dt_timezone

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from .models import Run, RunMessage

LOST = ("The training worker was lost (it stopped responding at {when} UTC). "
        "The points recorded so far are kept; start the run again to retrain.")


def group_name(run_id: int) -> str:
    return f"run-{run_id}"


class _Sender:
    """One event loop thread per process, so channels_redis keeps one connection pool."""

    def __init__(self):
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


def do_append(run_id: int, payload: dict) -> dict:
    """Store `payload` as the run's next message, then send it live. Returns it with its seq."""
    from classroom.wall import lab_route

    payload, lab = lab_route(run_id, payload)  # a lab run's messages also go to its teacher's wall
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
    _sender.send(group_name(run_id), message)
    if lab:
        _sender.send(lab[0], dict(message, **lab[1]))
    return message


def do_finish(run_id: int, status: str, result: dict) -> bool:
    """End a run once: the first caller wins, records the status message and returns True."""
    now = timezone.now()
    ended = Run.objects.filter(pk=run_id).exclude(status__in=Run.FINAL).update(
        status=status, result=result, finished=now
    )
    if ended:
        do_append(run_id, {"type": "status", "status": status, "result": result, "time": now.timestamp()})
    return bool(ended)


def check_lost(run: Run) -> bool:
    """Fail a running run whose worker stopped sending heartbeats. True when it was lost."""
    if run.status != Run.RUNNING or run.heartbeat is None:
        return False
    limit = timezone.now() - timedelta(seconds=settings.LAYERLAB_HEARTBEAT_TIMEOUT)
    if run.heartbeat >= limit:
        return False
    when = run.heartbeat.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    result = dict(run.result or {}, error=LOST.format(when=when))
    return do_finish(run.pk, Run.FAILED, result)


def messages_after(run_id: int, after: int) -> list[dict]:
    return list(RunMessage.objects.filter(run_id=run_id, seq__gt=after).values_list("payload", flat=True))
