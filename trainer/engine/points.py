"""Running loss and accuracy kept on the device, and train points read without stalling it.

A `.item()` per step would make the CPU wait for the GPU every step. Instead the numbers stay on
the device until a point is due; on CUDA even then they are copied out asynchronously and the point
is sent once its copy has landed, a step or so later, so the GPU never runs dry.
"""
from collections import deque
from typing import Callable

import torch


class Meter:
    """Sums of loss and correct predictions over the steps since the last reset.

    On CUDA the sums stay on the device; on the CPU there is no device to stall and `.item()`
    costs less than any extra kernel, so plain floats are kept."""

    def __init__(self, on_device: bool = False):
        self.on_device = on_device
        self.reset()

    def reset(self) -> None:
        self.losses: dict[int, list[torch.Tensor]] = {}  # batch size -> mean losses of such batches
        self.hits: list[torch.Tensor] = []
        self.loss_sum, self.hit_sum, self.has_hits, self.count = 0.0, 0, False, 0

    def add(self, loss: torch.Tensor, hits: torch.Tensor | int | None, n: int) -> None:
        self.count += n
        self.has_hits = hits is not None
        if not self.on_device:
            self.loss_sum += loss.item() * n
            self.hit_sum += int(hits) if self.has_hits else 0
            return
        # Grouped by batch size so weighting costs a kernel per group when read, not one per step.
        self.losses.setdefault(n, []).append(loss.detach())
        if self.has_hits:
            self.hits.append(hits)

    def totals(self) -> torch.Tensor | list[float]:
        """[sum of losses, number correct]: a device tensor (no sync) or, on the CPU, floats."""
        if not self.on_device:
            return [self.loss_sum, float(self.hit_sum)]
        loss = sum(torch.stack(group).float().sum() * n for n, group in self.losses.items())
        hits = torch.stack(self.hits).sum().float() if self.hits else torch.zeros_like(loss)
        return torch.stack([loss, hits])

    def snapshot(self) -> list:
        """[loss sum, hits, count, has hits] as plain numbers, for a checkpoint (syncs the device)."""
        if not self.count:
            return [0.0, 0, 0, False]
        totals = self.totals()
        loss_sum, hits = totals.tolist() if isinstance(totals, torch.Tensor) else totals
        return [loss_sum, hits, self.count, self.has_hits]

    def restore(self, snapshot: list) -> None:
        """Carry on from a snapshot: its sums count as steps already added."""
        self.reset()
        loss_sum, hits, self.count, self.has_hits = snapshot
        if self.on_device:
            self.losses = {1: [torch.tensor(float(loss_sum), device="cuda")]} if self.count else {}
            self.hits = [torch.tensor(int(hits), device="cuda")] if self.has_hits and self.count else []
        else:
            self.loss_sum, self.hit_sum = float(loss_sum), int(hits)

    def read(self) -> tuple[float, float | None]:
        """Mean loss and accuracy (None without class labels); syncs the device."""
        totals = self.totals()
        loss_sum, hits = totals.tolist() if isinstance(totals, torch.Tensor) else totals
        return loss_sum / self.count, (hits / self.count if self.has_hits else None)


class PointQueue:
    """Train points on their way from the device to `send(fields, loss, accuracy)`."""

    def __init__(self, send: Callable[[dict, float, float | None], None]):
        self.send = send
        self.queue: deque = deque()

    def push(self, meter: Meter, fields: dict) -> None:
        """Take the meter's numbers for a point (the caller then resets it) and send what is ready."""
        totals = meter.totals()
        event = None
        if isinstance(totals, torch.Tensor):
            host = torch.empty(2, pin_memory=True)
            host.copy_(totals, non_blocking=True)
            event = torch.cuda.Event()
            event.record()
            totals = host
        self.queue.append((totals, event, meter.count, meter.has_hits, fields))
        self.flush(wait=False)

    def flush(self, wait: bool = True) -> None:
        while self.queue and (wait or self.queue[0][1] is None or self.queue[0][1].query()):
            totals, event, count, has_hits, fields = self.queue.popleft()
            if event is not None:
                event.synchronize()
            loss_sum, hits = totals.tolist() if isinstance(totals, torch.Tensor) else totals
            self.send(fields, loss_sum / count, hits / count if has_hits else None)
