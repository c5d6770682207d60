"""The training task: load the run, call the engine with a callback that stores and sends points."""
import socket
import threading
import time

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import weights
from .models import Run
from .stream import do_append, do_finish
from .engine.throttle import PointThrottle
from .dataset_store import resolve
from .engine.job import Job, build_job

LOST_BEFORE = "The worker running this run was lost before it finished; its points so far are kept."


def prepare(run: Run) -> Job:
    from builder.api import limits

    arrays, _ = resolve(run.dataset, run.owner)
    return build_job(run.document, arrays, run.config, limits())


class Heartbeat(threading.Thread):
    """Tells the web side this run's worker is alive; it stops when the process dies."""

    def __init__(self, run_id: int, interval: float):
        super().__init__(daemon=True, name=f"heartbeat-{run_id}")
        self.run_id, self.interval, self.done = run_id, interval, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            Run.objects.filter(pk=self.run_id, status=Run.RUNNING).update(heartbeat=timezone.now())


@shared_task(name="trainer.train_run", acks_late=True, queue="training", ignore_result=True)
def train_run(run_id: int) -> None:
    run = Run.objects.filter(pk=run_id).first()
    if run is None or run.status in Run.FINAL:
        return
    if run.status == Run.RUNNING:
        # Redelivered after the worker that started it died: never train twice in secret.
        do_finish(run_id, Run.FAILED, dict(run.result or {}, error=LOST_BEFORE))
        return
    claimed = Run.objects.filter(pk=run_id, status=Run.QUEUED).update(
        status=Run.RUNNING, started=timezone.now(), heartbeat=timezone.now(), worker=socket.gethostname()
    )
    if not claimed:
        return
    heartbeat = Heartbeat(run_id, settings.LAYERLAB_HEARTBEAT_INTERVAL)
    heartbeat.start()
    model = None
    try:
        job = prepare(Run.objects.get(pk=run_id))
        model = job.model
        Run.objects.filter(pk=run_id).update(device=job.device)
        do_append(run_id, {"type": "status", "status": "running", "device": job.device,
                           "notes": job.notes, "time": timezone.now().timestamp()})
        points = PointThrottle(lambda event: on_event(run_id, model, event))
        try:
            result = job.train(on_event=points, should_stop=StopCheck(run_id), observer=job.xray())
        finally:
            points.flush()  # the last train points before the final status
        weights.save(run_id, model)
        status = Run.CANCELLED if result["status"] == "cancelled" else Run.SUCCEEDED
        do_finish(run_id, status, result)
    except Exception as exc:  # a failed run says why; the weights so far stay downloadable
        if model is not None:
            weights.save(run_id, model)
        do_finish(run_id, Run.FAILED, {"error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        heartbeat.done.set()


def on_event(run_id: int, model, event: dict) -> None:
    do_append(run_id, event)
    if event.get("split") == "val":
        weights.save(run_id, model)  # a checkpoint per epoch: a lost or stopped run keeps its weights


class StopCheck:
    """Asked between steps whether the user pressed Stop; reads the database at most every 0.2 s."""

    def __init__(self, run_id: int, every: float = 0.2):
        self.run_id, self.every, self.last = run_id, every, float("-inf")

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.every:
            return False
        self.last = now
        return Run.objects.filter(pk=self.run_id, stop_requested=True).exists()
