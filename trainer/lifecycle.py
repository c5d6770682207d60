r"""A run's life, in one place: every status change of a run is a function here, guarded in the
database (`filter(status=...).update(...)`), and nothing else writes `Run.status`.

    queued --dispatch--> queued (handed to Celery) --claim--> running --finish--> a final status
                                                                 \--hand back--> queued

The database is the truth; Celery only carries "start run N, attempt A" messages. Runs wait in the
database and are handed to Celery only when a training slot is free, in a fair order (round-robin
over owners, `fairness.py`), so one user's burst never holds back everyone else. A periodic sweep
(`sweep`, run by every training worker's own timer and at its start) fails runs whose worker died,
re-sends queued runs whose message the broker lost, and fills free slots. Reading never writes.
"""
import logging
from datetime import timedelta, timezone as dt_timezone

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from . import fairness
from .models import Run
from .stream import do_append

log = logging.getLogger(__name__)

LOST = ("The training worker was lost (it stopped responding at {when} UTC). "
        "The points recorded so far are kept; start the run again to retrain.")
HANDED_BACK = "The worker shut down; the run went back to the queue and continues from its last checkpoint."


def do_finish(run_id: int, status: str, result: dict) -> bool:
    """End a run once: the first caller wins, records the final status message and returns True."""
    now = timezone.now()
    ended = Run.objects.filter(pk=run_id).exclude(status__in=Run.FINAL).update(
        status=status, result=result, finished=now, dispatched=None)
    if ended:
        do_append(run_id, {"type": "status", "status": status, "result": result, "time": now.timestamp()})
        transaction.on_commit(dispatch)  # a slot is free
    return bool(ended)


def do_enqueue(run: Run) -> None:
    """A new run waits in the database; it is handed to a worker when its turn comes. A lab run's
    queued status carries its parameter count, so the teacher's wall shows it before the score."""
    message = {"type": "status", "status": Run.QUEUED, "time": timezone.now().timestamp()}
    params = (run.result or {}).get("params")
    if params is not None:
        message["params"] = params
    do_append(run.pk, message)
    transaction.on_commit(dispatch)


def do_claim(run_id: int, attempt: int, worker: str) -> bool:
    """queued -> running, for the message of the current attempt only (a stale or duplicate
    message finds nothing to claim)."""
    now = timezone.now()
    return bool(Run.objects.filter(pk=run_id, status=Run.QUEUED, attempt=attempt).update(
        status=Run.RUNNING, started=now, heartbeat=now, worker=worker, handback=False))


def do_hand_back(run_id: int, reason: str = HANDED_BACK) -> bool:
    """running -> queued on a clean worker shutdown: the run waits again and resumes from its checkpoint."""
    back = Run.objects.filter(pk=run_id, status=Run.RUNNING).update(
        status=Run.QUEUED, dispatched=None, handback=False, worker="", heartbeat=None)
    if back:
        do_append(run_id, {"type": "status", "status": Run.QUEUED, "reason": reason,
                           "time": timezone.now().timestamp()})
        transaction.on_commit(dispatch)
    return bool(back)


def do_stop(run: Run) -> None:
    """The user's Stop: a waiting run ends now; a running one ends at its next step."""
    Run.objects.filter(pk=run.pk).update(stop_requested=True)
    if run.status == Run.QUEUED:
        do_finish(run.pk, Run.CANCELLED, dict(run.result or {}, error=None, stopped="before it started"))


def do_request_hand_back(worker: str) -> int:
    """A worker is shutting down: its runs stop after the current step and go back to the queue."""
    return Run.objects.filter(status=Run.RUNNING, worker=worker).update(handback=True)


def _lock_dispatch() -> None:
    # Two processes dispatching at once must not both fill the same free slot. SQLite runs write
    # transactions one at a time already (IMMEDIATE mode); PostgreSQL takes an advisory lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x4C4C])


def dispatch() -> list[int]:
    """Hand the next waiting runs, in fair order, to Celery while training slots are free."""
    from .tasks import send_run

    with transaction.atomic():
        _lock_dispatch()
        active = list(Run.objects.filter(status__in=(Run.QUEUED, Run.RUNNING))
                      .values("pk", "owner_id", "status", "dispatched"))
        picked = fairness.pick(active, settings.LAYERLAB_TRAINING_SLOTS, settings.LAYERLAB_MAX_RUNNING_PER_USER,
                               last_started(active))
        now = timezone.now()
        sent = []
        for pk in picked:
            run = Run.objects.filter(pk=pk, status=Run.QUEUED, dispatched__isnull=True).first()
            if run is None:
                continue
            attempt = run.attempt + 1
            Run.objects.filter(pk=pk).update(dispatched=now, attempt=attempt)
            sent.append((pk, attempt))
        transaction.on_commit(lambda: [send_run(pk, attempt) for pk, attempt in sent])
    return [pk for pk, _ in sent]


def last_started(active: list[dict]) -> dict:
    """owner id -> when their most recent run started (a timestamp), for the owners of waiting runs."""
    owners = {r["owner_id"] for r in active if r["status"] == Run.QUEUED}
    rows = (Run.objects.filter(owner_id__in=owners, started__isnull=False)
            .values("owner_id").annotate(last=Max("started")).values_list("owner_id", "last"))
    return {owner: last.timestamp() for owner, last in rows}


def queue_positions() -> dict[int, int]:
    """run id -> how many runs start before it, plus one, for every waiting run."""
    active = list(Run.objects.filter(status__in=(Run.QUEUED, Run.RUNNING))
                  .values("pk", "owner_id", "status", "dispatched"))
    return {pk: i + 1 for i, pk in enumerate(fairness.order(active, last_started(active)))}


def fail_lost(now=None) -> list[int]:
    """Fail running runs whose worker stopped sending heartbeats."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.LAYERLAB_HEARTBEAT_TIMEOUT)
    failed = []
    for run in Run.objects.filter(status=Run.RUNNING, heartbeat__lt=limit):
        when = run.heartbeat.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        if do_finish(run.pk, Run.FAILED, dict(run.result or {}, error=LOST.format(when=when))):
            failed.append(run.pk)
    return failed


def resend_lost(held=None, now=None) -> list[int]:
    """Queued runs handed to Celery whose message the broker no longer holds (a restarted broker
    that kept nothing) are handed out again, under a new attempt number."""
    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.LAYERLAB_HEARTBEAT_INTERVAL * 2)
    stale = list(Run.objects.filter(status=Run.QUEUED, dispatched__lt=grace).values_list("pk", "attempt"))
    if not stale:
        return []
    from .tasks import broker_holds

    held = broker_holds() if held is None else held
    lost = [pk for pk, attempt in stale if held is not None and f"run-{pk}-{attempt}" not in held]
    Run.objects.filter(pk__in=lost, status=Run.QUEUED).update(dispatched=None)
    return lost


def sweep() -> dict:
    """The periodic check: lost workers, lost messages, free slots. Safe to run anywhere, any time."""
    lost = fail_lost()
    resent = resend_lost()
    started = dispatch()
    if lost or resent:
        log.warning("sweep: failed lost runs %s, re-sent runs %s", lost, resent)
    return {"failed": lost, "resent": resent, "dispatched": started}
