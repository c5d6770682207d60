"""The training task: claim the run, call the engine with a callback that stores and sends points,
and end the run through the lifecycle. Also the worker's own schedule: the lifecycle sweep at
start-up and every heartbeat interval, and the hand-back of running runs on a warm shutdown."""
import logging
import os
import threading

import torch

from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from . import lifecycle, weights
from classroom.scoring import finish_lab_result
from .dataset_store import resolve
from .datasets import DatasetError
from .engine.checkpoint import remaining_epochs
from .engine.job import Job, build_job
from .engine.throttle import PointThrottle
from .guards import RunGuard
from .models import Run
from .stream import do_append

log = logging.getLogger(__name__)


def send_run(run_id: int, attempt: int) -> None:
    """Hand one run to Celery; the task id names the attempt, so the sweep can find it in the broker."""
    train_run.apply_async((run_id, attempt), task_id=f"run-{run_id}-{attempt}")


def broker_holds() -> set[str] | None:
    """Task ids of the training messages the broker holds (waiting or delivered, unacknowledged);
    None when the broker cannot be asked (not Redis)."""
    import redis

    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    try:
        raw = client.lrange("training", 0, -1) + list(client.hvals("unacked"))
    except redis.RedisError:
        return None
    finally:
        client.close()
    return {part.split(b'"')[0].decode() for item in raw for part in item.split(b'"id": "')[1:]}


def prepare(run: Run) -> Job:
    """The job for a run, fetching its dataset first if it is not on this server yet, with
    "preparing data" progress in the run's stream."""
    from builder.config import limits

    shown = [-1]

    def progress(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent > shown[0]:
            shown[0] = percent
            do_append(run.pk, {"type": "progress", "stage": "preparing data", "percent": percent,
                               "message": f"preparing data {percent}%", "time": timezone.now().timestamp()})

    owner = run.lab.course.teacher if run.lab_id else run.owner  # a lab's dataset: the teacher's
    arrays, info = resolve(run.dataset, owner, on_progress=progress)
    if not run.dataset_hash and info.get("hash"):
        Run.objects.filter(pk=run.pk).update(dataset_hash=info["hash"])
    state, options = resume_point(run)
    job = build_job(run.document, arrays, options, limits(), resume_from=state)
    if state is None:
        start_from_imported(run, job)
    return job


def resume_point(run: Run) -> tuple[dict | None, dict]:
    """Where a run starts: its own checkpoint when it was handed back (it finishes its plan), its
    parent's when it continues another run (for its own epochs), else the beginning."""
    state = weights.load_checkpoint(run.pk)
    if state is not None:
        return state, dict(run.config, epochs=max(1, remaining_epochs(state)))
    if run.parent_id:
        return weights.load_checkpoint(run.parent_id), dict(run.config)
    return None, dict(run.config)


def start_from_imported(run: Run, job: Job) -> None:
    """A design imported with weights (ONNX) is fine-tuned from them while they still fit it."""
    from builder import initial_weights

    state = initial_weights.load(run.graph_id) if run.graph_id else None
    if state is None:
        return
    try:
        job.model.load_state_dict(state, strict=True)
    except RuntimeError:
        job.notes.append("The design changed since its weights were imported, so it trained from fresh weights.")
        return
    job.notes.append("Training started from the weights imported with this design (fine-tuning).")


class Heartbeat(threading.Thread):
    """Tells the sweep this run's worker is alive; it stops when the process dies."""

    def __init__(self, run_id: int, interval: float):
        super().__init__(daemon=True, name=f"heartbeat-{run_id}")
        self.run_id, self.interval, self.done = run_id, interval, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            Run.objects.filter(pk=self.run_id, status=Run.RUNNING).update(heartbeat=timezone.now())
        close_old_connections()


@shared_task(bind=True, name="trainer.train_run", acks_late=True, ignore_result=True)
def train_run(self, run_id: int, attempt: int | None = None) -> None:
    if attempt is None:  # a message from before attempts existed
        attempt = Run.objects.filter(pk=run_id).values_list("attempt", flat=True).first() or 0
    worker = self.request.hostname or "worker"
    if not lifecycle.do_claim(run_id, attempt, worker):
        return  # stale, duplicate or already ended: the database says what this run is doing
    heartbeat = Heartbeat(run_id, settings.LAYERLAB_HEARTBEAT_INTERVAL)
    heartbeat.start()
    try:
        train_claimed(run_id)
    finally:
        heartbeat.done.set()


def train_claimed(run_id: int) -> None:
    torch.set_num_threads(settings.LAYERLAB_TORCH_THREADS)
    model = None
    guard = RunGuard(run_id)
    run = Run.objects.select_related("lab").get(pk=run_id)
    try:
        job = prepare(run)
        model = job.model
        Run.objects.filter(pk=run_id).update(device=job.device)
        do_append(run_id, {"type": "status", "status": "running", "device": job.device,
                           "notes": job.notes, "time": timezone.now().timestamp()})
        guard.start(job.device)
        points = PointThrottle(lambda event: on_event(run_id, model, event))
        try:
            result = job.train(on_event=points, should_stop=guard, observer=job.xray(),
                               on_checkpoint=lambda state: weights.save_checkpoint(run_id, state))
        finally:
            points.flush()  # the last train points before the final status
        weights.save(run_id, model)
        if run.lab_id and guard.reason != "handback":  # scores on the lab's hidden test set; its details leave the result
            result = finish_lab_result(run, model, job.arrays, result)
        end(run_id, guard, result)
    except Exception as exc:  # a failed run says why; the weights so far stay downloadable
        if model is not None:
            weights.save(run_id, model)
        error = str(exc) if isinstance(exc, DatasetError) else f"{type(exc).__name__}: {exc}"
        lifecycle.do_finish(run_id, Run.FAILED, {"error": error})
        if not isinstance(exc, DatasetError):
            raise


def end(run_id: int, guard: RunGuard, result: dict) -> None:
    if guard.reason == "handback":
        lifecycle.do_hand_back(run_id)
    elif guard.reason in ("timeout", "memory"):
        status = Run.TIMED_OUT if guard.reason == "timeout" else Run.FAILED
        lifecycle.do_finish(run_id, status, dict(result, status=status, error=guard.message))
    else:
        status = Run.CANCELLED if result["status"] == "cancelled" else Run.SUCCEEDED
        lifecycle.do_finish(run_id, status, result)


def on_event(run_id: int, model, event: dict) -> None:
    do_append(run_id, event)
    if event.get("split") == "val":
        weights.save(run_id, model)  # a checkpoint per epoch: a lost or stopped run keeps its weights


# The worker's main process forks its pool processes, and again whenever one dies. A process forked
# while another thread of the parent holds a database connection inherits that connection's state:
# with SQLite, the parent's locks as the library remembers them, so the child waits on a lock
# nobody holds ("database is locked") and can corrupt the file; with PostgreSQL, a shared socket.
# So the main process never forks while its sweep has a connection open.
_forks_held = threading.Lock()
_forks_guarded = False


def guard_forks() -> None:
    """From now on, this process's forks wait while `_forks_held` is held (set up once per process)."""
    global _forks_guarded
    if not _forks_guarded:
        _forks_guarded = True
        os.register_at_fork(before=_forks_held.acquire, after_in_parent=_forks_held.release,
                            after_in_child=_forks_held.release)


class Sweeper(threading.Thread):
    """The worker's own schedule: sweep at start-up, then every heartbeat interval. Each sweep,
    with its database connection open and closed, happens between two forks of the pool."""

    def __init__(self, interval: float, work=lifecycle.sweep):
        super().__init__(daemon=True, name="lifecycle-sweep")
        self.interval, self.work, self.done = interval, work, threading.Event()

    def run(self) -> None:
        while True:
            with _forks_held:
                try:
                    self.work()
                except Exception:  # a database or broker hiccup: try again next time
                    log.exception("lifecycle sweep failed")
                finally:
                    connections.close_all()  # this thread's connections
            if self.done.wait(self.interval):
                return


_sweeper: Sweeper | None = None


@worker_ready.connect
def start_sweeper(sender=None, **_):
    global _sweeper
    guard_forks()
    _sweeper = Sweeper(settings.LAYERLAB_HEARTBEAT_INTERVAL)
    _sweeper.start()


@worker_shutting_down.connect
def hand_back_runs(sender=None, **_):
    if _sweeper:
        _sweeper.done.set()
    worker = getattr(sender, "hostname", None) or str(sender)
    with _forks_held:  # this thread forks the pool: it keeps no connection open
        try:
            count = lifecycle.do_request_hand_back(worker)
        finally:
            connections.close_all()
    log.warning("worker %s shutting down: %d running run(s) will go back to the queue", worker, count)
