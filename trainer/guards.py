"""What may end a running run between two steps: the user's Stop, the worker shutting down (hand
back), the wall-clock limit and the memory limit. The engine asks `guard()` between steps; the
database is read at most every 0.2 s, memory measured as often."""
import os
import time

from django.conf import settings

from .models import Run

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """This process's resident memory (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def device_bytes(device: str) -> int:
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.memory_allocated())
    return rss_bytes()


class RunGuard:
    def __init__(self, run_id: int, every: float = 0.2):
        self.run_id, self.every, self.last = run_id, every, float("-inf")
        self.reason: str | None = None
        self.message = ""
        self.device = "cpu"
        self.started = time.monotonic()
        self.baseline = 0

    def start(self, device: str) -> None:
        """Called once the model and data are in memory: the limits count from here."""
        self.device, self.started = device, time.monotonic()
        self.baseline = device_bytes(device)  # model and data are loaded: only growth counts, on either device

    def __call__(self) -> bool:
        now = time.monotonic()
        if self.reason:
            return True
        if now - self.last < self.every:
            return False
        self.last = now
        self.reason, self.message = self.check(now)
        return self.reason is not None

    def check(self, now: float) -> tuple[str | None, str]:
        limit_s = settings.LAYERLAB_MAX_RUN_SECONDS
        if now - self.started > limit_s:
            return "timeout", (f"The run reached the time limit of {limit_s} s (LAYERLAB_MAX_RUN_SECONDS) "
                               "and was stopped; its weights so far are kept.")
        limit_mb = settings.LAYERLAB_MAX_RUN_MEMORY_MB
        used = device_bytes(self.device) - self.baseline
        if used > limit_mb * 2**20:
            return "memory", (f"The run used {used / 2**20:.0f} MB more memory while training, over the "
                              f"limit of {limit_mb} MB per run (LAYERLAB_MAX_RUN_MEMORY_MB); try a smaller "
                              "batch size or a smaller design.")
        flags = Run.objects.filter(pk=self.run_id).values_list("stop_requested", "handback").first()
        if flags is None or flags[0]:
            return "stop", ""
        if flags[1]:
            return "handback", ""
        return None, ""
