"""Live train points at a rate a room of watchers can take.

The engine reports a deterministic curve (a point every few steps); on a tiny dataset that can be
hundreds of points a second, and each one goes to every watching browser. PointThrottle passes
validation points and everything else at once, and merges train points that arrive less than
`min_interval` seconds after the last one sent into one point: loss and accuracy averaged,
weighted by the steps each covered; step, epoch and time of the newest.
"""
import time
from typing import Callable


class PointThrottle:
    def __init__(self, emit: Callable[[dict], None], min_interval: float = 0.1, clock=time.monotonic):
        self.emit, self.min_interval, self.clock = emit, min_interval, clock
        self.pending: dict | None = None
        self.weight = 0
        self.prev_step = 0
        self.last_sent = float("-inf")

    def __call__(self, event: dict) -> None:
        if event.get("type") != "metric" or event.get("split") != "train":
            self.flush()
            self.emit(event)
            return
        steps = max(1, event["step"] - self.prev_step)
        self.prev_step = event["step"]
        self.merge(event, steps)
        if self.clock() - self.last_sent >= self.min_interval:
            self.flush()

    def merge(self, event: dict, steps: int) -> None:
        if self.pending is None:
            self.pending, self.weight = dict(event), steps
            return
        total = self.weight + steps
        merged = dict(event)
        for key in ("loss", "accuracy"):
            old, new = self.pending.get(key), event.get(key)
            if old is not None and new is not None:
                merged[key] = (old * self.weight + new * steps) / total
        self.pending, self.weight = merged, total

    def flush(self) -> None:
        """Send the merged point now (before a val point, a status, or the end)."""
        if self.pending is not None:
            pending, self.pending, self.weight = self.pending, None, 0
            self.last_sent = self.clock()
            self.emit(pending)
