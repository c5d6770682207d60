"""The server's own lab limits (settings) and a lab's limits read with them."""
from django.conf import settings

from .rules import LIMIT_NAMES, LabLimits


def server_limits() -> LabLimits:
    return LabLimits(max_params=settings.LAYERLAB_MAX_PARAMS, max_epochs=settings.LAYERLAB_MAX_EPOCHS,
                     max_runs=settings.LAYERLAB_LAB_MAX_RUNS, max_queued=settings.LAYERLAB_LAB_MAX_QUEUED)


def lab_limits(lab) -> LabLimits:
    """The lab's own limits, never above the server's (which may have been lowered since)."""
    server = server_limits()
    return LabLimits(**{n: min(lab.limits.get(n, getattr(server, n)), getattr(server, n)) for n in LIMIT_NAMES})
