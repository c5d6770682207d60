"""The server's limits on runs and storage, checked before anything starts or is written.
Each refusal is a sentence naming the limit and its setting; nothing is created when one fails."""
import math

from django.conf import settings
from django.db.models import Sum

from .models import Dataset, Run

MB = 2**20


class LimitReached(Exception):
    """A request over one of the server's limits; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 429):
        super().__init__(message)
        self.status = status


def usage(user) -> dict:
    """Bytes this user stores: uploads and run weights, against LAYERLAB_MAX_STORAGE_MB."""
    datasets = Dataset.objects.filter(owner=user).aggregate(b=Sum("size_bytes"))["b"] or 0
    weights = Run.objects.filter(owner=user).aggregate(b=Sum("weights_bytes"))["b"] or 0
    limit = settings.LAYERLAB_MAX_STORAGE_MB * MB
    return {"datasets_bytes": datasets, "weights_bytes": weights, "used_bytes": datasets + weights,
            "limit_bytes": limit, "free_bytes": max(0, limit - datasets - weights)}


def check_storage(user, adding: int = 0) -> None:
    used = usage(user)
    if used["used_bytes"] + adding > used["limit_bytes"]:
        raise LimitReached(
            f"You store {used['used_bytes'] / MB:.1f} MB of the {settings.LAYERLAB_MAX_STORAGE_MB} MB each user may "
            f"keep (LAYERLAB_MAX_STORAGE_MB){f', and this needs {adding / MB:.1f} MB more' if adding else ''}; "
            "delete runs or datasets you no longer need.", status=413 if adding else 429)


def check_waiting(user) -> None:
    waiting = Run.objects.filter(owner=user, status=Run.QUEUED).count()
    if waiting >= settings.LAYERLAB_MAX_WAITING_PER_USER:
        raise LimitReached(f"You already have {waiting} runs waiting, the most one user may have "
                           f"(LAYERLAB_MAX_WAITING_PER_USER); wait for one to start or stop one.")


def training_bytes(summary: dict, batch_size: int, data_bytes: int, optimizer: str) -> int:
    """A cheap upper estimate of a run's memory: the data on the device, the weights with their
    gradients and optimizer state, and every block's output kept for the backward pass."""
    params = summary.get("params") or 0
    states = {"adam": 2, "adamw": 2, "sgd": 1}.get(optimizer, 2)
    activations = sum(math.prod(n["output_shape"]) for n in summary["nodes"].values()
                      if n.get("output_shape") and all(isinstance(d, int) for d in n["output_shape"]))
    return data_bytes + params * 4 * (2 + states) + activations * batch_size * 4 * 2


def check_memory(summary: dict, batch_size: int, data_bytes: int, optimizer: str) -> None:
    need = training_bytes(summary, batch_size, data_bytes, optimizer)
    limit = settings.LAYERLAB_MAX_RUN_MEMORY_MB
    if need > limit * MB:
        raise LimitReached(f"This run would need about {need / MB:,.0f} MB of memory (the data, the weights and "
                           f"every block's output for a batch of {batch_size}), over the limit of {limit:,} MB per "
                           "run (LAYERLAB_MAX_RUN_MEMORY_MB); use a smaller batch size or a smaller design.", status=400)
