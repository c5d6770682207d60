"""The training loop: a plain loop over tensors already on the device, reporting through a callback.

Pure core (no Django, Celery or Channels), in the manner of minGPT's trainer: the caller passes
`on_event` (stores and streams points) and `should_stop` (a stop button), and keeps the model,
which is trained in place so its weights survive a stop or a failure.
"""
import contextlib
import math
import time
from dataclasses import asdict, dataclass, field, make_dataclass
from typing import Callable

import torch

from ..datasets import Arrays
from . import checkpoint
from .checks import check_config, check_input_matches  # noqa: F401  (part of this module's interface)
from .inputs import Inputs
from .objective import Objective, evaluate, first
from .points import Meter, PointQueue
from .schedule import EarlyStop, Schedule, make_optimizer
from .settings import SETTINGS

SOFTMAX_NOTE = ("Your design ends in Softmax, so its outputs are already probabilities. LayerLab "
                "trained it with log + negative log-likelihood, which equals cross-entropy on the "
                "logits, instead of applying softmax a second time.")
MAX_TRAIN_POINTS = 1000  # live-curve points per run: smooth, yet a long run stays small



def _check(self) -> list[str]:
    """Readable problems with these settings; empty when they are fine."""
    return check_config(self)


# Every field but the last comes from the declaration in settings.py.
TrainConfig = make_dataclass(
    "TrainConfig",
    [(s.name, s.type, field(default=s.default)) for s in SETTINGS.values()]
    + [("output_is_probability", bool, field(default=False))],  # set by the job when the design ends in Softmax
    namespace={"check": _check, "__module__": __name__},
)


@dataclass
class TrainResult:
    status: str  # "succeeded" | "cancelled"
    epochs: int  # epochs completed, counting those of the run it resumed
    steps: int
    test_loss: float | None
    test_accuracy: float | None  # None for regression
    confusion_matrix: list[list[int]] | None  # rows: true class, columns: predicted class
    samples_per_s: float  # over training steps only, evaluation excluded
    seconds: float
    device: str
    notes: list[str] = field(default_factory=list)
    train_loss: float | None = None  # of the last train point
    val_loss: float | None = None
    val_accuracy: float | None = None
    normalization: dict | None = None  # {"scale", "mean", "std", "channel_dim"} the model's inputs went through
    stopped_early: bool = False
    stopped_epoch: int | None = None  # the epoch after which early stopping ended the run
    lr: float | None = None  # the learning rate at the end

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def split_train_val(arrays: Arrays, config, generator: torch.Generator):
    n = arrays.train_size
    n_val = int(n * config.val_fraction)
    if config.val_fraction > 0 and n_val == 0 and n > 1:
        n_val = 1
    n_val = min(n_val, n - 1)
    order = torch.randperm(n, generator=generator)
    return order[n_val:], order[:n_val]


class Loop:
    """One training run's state; `run` is the loop, the rest are its small steps."""

    def __init__(self, model, arrays: Arrays, config, on_event, should_stop, resume_from=None, on_checkpoint=None,
                 observer=None):
        self.model, self.arrays, self.config, self.observer = model, arrays, config, observer
        self.on_event = on_event or (lambda event: None)
        self.should_stop = should_stop or (lambda: False)
        self.on_checkpoint = on_checkpoint
        self.device = resolve_device(config.device)
        self.cuda = self.device.type == "cuda"
        self.objective = Objective(arrays, config)
        self.notes = [SOFTMAX_NOTE] if self.objective.probabilities else []
        self.generator = torch.Generator().manual_seed(config.seed)
        self.load_data()
        self.step, self.epochs_done, self.train_seconds, self.samples = 0, 0, 0.0, 0
        self.resume_order, self.resume_position = None, 0
        self.meter, self.point_seconds, self.t_segment = Meter(self.cuda), 0.0, 0.0
        self.points = PointQueue(self.send_train)
        self.last = {"train_loss": None, "val_loss": None, "val_accuracy": None}
        self.early_stop = EarlyStop(config.early_stop_patience)
        self.resume_from = resume_from
        start_epoch = resume_from["epoch"] if resume_from else 0
        self.steps_per_epoch = math.ceil(len(self.train_idx) / config.batch_size)
        last_epoch = start_epoch + config.epochs
        self.total_steps = self.steps_per_epoch * last_epoch
        self.plan = {"first_step": self.steps_per_epoch * start_epoch, "last_epoch": last_epoch,
                     "total_steps": self.total_steps}
        self.interval = max(1, math.ceil(self.total_steps / MAX_TRAIN_POINTS))

    def load_data(self) -> None:
        # Everything moves to the device once; batches are index gathers there, no DataLoader.
        a, to = self.arrays, self.device
        train_idx, val_idx = split_train_val(a, self.config, self.generator)
        self.train_idx, self.val_idx = train_idx.to(to), val_idx.to(to)
        self.inputs = Inputs(a, self.config, self.train_idx, to, self.config.seed + 1)
        self.x, self.x_test = self.inputs.x, self.inputs.x_test
        self.y = self.objective.target(torch.as_tensor(a.y_train)).to(to)
        self.y_test = self.objective.target(torch.as_tensor(a.y_test)).to(to)

    def autocast(self):
        # bf16 on CUDA; on CPU autocast would only cost time, so it is skipped.
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.cuda else contextlib.nullcontext()

    def emit(self, split: str, epoch: int, loss, accuracy, samples_per_s, step: int, **extra) -> None:
        self.on_event({"type": "metric", "epoch": epoch, "step": step, "total_steps": self.total_steps,
                       "split": split, "loss": loss, "accuracy": accuracy,
                       "samples_per_s": samples_per_s, "time": time.time(), **extra})

    def start(self) -> None:
        self.model.to(self.device).train()
        self.optimizer = make_optimizer(self.model, self.config)
        self.schedule = Schedule(self.optimizer, self.config, self.total_steps - self.plan["first_step"])
        torch.manual_seed(self.config.seed)  # dropout and other in-model randomness repeat too
        if self.resume_from is not None:
            checkpoint.restore(self, self.resume_from)
        if self.observer is not None:  # X-ray: a fixed probe batch from the validation split
            probe = (self.val_idx if len(self.val_idx) else self.train_idx)[:self.observer.probe_size]
            self.observer.begin(self.model, self.batch_prepare()(self.x[probe]),
                                self.total_steps - self.plan["first_step"], self.on_event)

    def run(self) -> TrainResult:
        started = time.perf_counter()
        self.start()
        status, stopped_epoch = "succeeded", None
        for epoch in range(self.epochs_done + 1, self.plan["last_epoch"] + 1):
            if not self.train_epoch(epoch):
                status = "cancelled"
                break
            self.epochs_done = epoch
            stop = self.validate(epoch)
            self.schedule.after_epoch()
            self.save_checkpoint(epoch, 0, None)
            if stop:
                stopped_epoch = epoch
                break
        test_loss, test_acc, confusion = evaluate(self.model, self.x_test, self.y_test, self.objective,
                                                  self.autocast, self.batch_prepare())
        return TrainResult(
            status=status, epochs=self.epochs_done, steps=self.step, test_loss=test_loss, test_accuracy=test_acc,
            confusion_matrix=confusion, samples_per_s=self.samples / self.train_seconds if self.train_seconds else 0.0,
            seconds=time.perf_counter() - started, device=str(self.device), notes=self.notes, **self.last,
            normalization=self.inputs.normalization, stopped_early=stopped_epoch is not None,
            stopped_epoch=stopped_epoch, lr=self.schedule.lr)

    def save_checkpoint(self, epoch: int, position: int, order) -> None:
        if self.on_checkpoint is not None:
            self.on_checkpoint(checkpoint.capture(self, epoch, position, order))

    def epoch_order(self) -> tuple[torch.Tensor, int]:
        """This epoch's data order and the position to start at: a resumed epoch carries on where it stopped."""
        if self.resume_order is not None:
            order, position = self.resume_order.to(self.device), self.resume_position
            self.resume_order, self.resume_position = None, 0
            return order, position
        return self.train_idx[torch.randperm(len(self.train_idx), generator=self.generator).to(self.device)], 0

    def train_epoch(self, epoch: int) -> bool:
        """One pass over the training split; False when stopped part-way."""
        bs = self.config.batch_size
        order, position = self.epoch_order()
        t_epoch = self.t_segment = time.perf_counter()
        finished = True
        for i in range(position, len(order), bs):
            if self.should_stop():
                finished, position = False, i
                break
            idx = order[i:i + bs]
            self.meter.add(*self.train_step(self.inputs.batch(self.x, idx), self.y[idx]), len(idx))
            self.step += 1
            self.samples += len(idx)
            if self.observer is not None:
                self.observer.after_step(self.step, epoch)
            if self.step % self.interval == 0 or self.step == self.total_steps:
                self.push_point(epoch)
        if not finished and self.meter.count:
            self.push_point(epoch)  # what was trained before the stop still shows
        self.points.flush()  # every train point of the epoch is out before its val point
        self.train_seconds += time.perf_counter() - t_epoch
        if not finished:
            self.save_checkpoint(epoch - 1, position, order)
        return finished

    def push_point(self, epoch: int) -> None:
        # A point averages every step since the previous one, across an epoch's end if need be.
        now = time.perf_counter()
        self.point_seconds += now - self.t_segment
        self.t_segment = now
        speed = self.meter.count / max(self.point_seconds, 1e-9)
        self.points.push(self.meter, {"epoch": epoch, "step": self.step, "samples_per_s": speed,
                                      "lr": self.point_lr})
        self.meter.reset()
        self.point_seconds = 0.0

    def send_train(self, fields: dict, loss: float, accuracy: float | None) -> None:
        self.last["train_loss"] = loss
        self.emit("train", fields["epoch"], loss, accuracy, fields["samples_per_s"], fields["step"], lr=fields["lr"])

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor):
        self.point_lr = self.schedule.lr  # the rate this step takes
        with self.autocast():
            out = first(self.model(xb))
            loss = self.objective(out, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.observer is not None:
            self.observer.after_backward(self.step + 1)
        if self.config.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.schedule.after_step()
        return loss, self.objective.correct(out.detach(), yb)

    def batch_prepare(self) -> Callable:
        """What evaluation does to a batch: uint8 batches are scaled and normalized, float ones already are."""
        return self.inputs.prepare if self.inputs.per_batch else self.inputs.widen

    def validate(self, epoch: int) -> bool:
        """The val point of the epoch; True when early stopping says the run is done."""
        if len(self.val_idx) == 0:
            return False
        loss, acc, _ = evaluate(self.model, self.x[self.val_idx], self.y[self.val_idx], self.objective,
                                self.autocast, self.batch_prepare())
        self.last.update(val_loss=loss, val_accuracy=acc)
        speed = self.samples / self.train_seconds if self.train_seconds else 0.0
        self.emit("val", epoch, loss, acc, speed, self.step)
        return self.early_stop.update(loss)


def train(model: torch.nn.Module, arrays: Arrays, config,
          on_event: Callable[[dict], None] | None = None,
          should_stop: Callable[[], bool] | None = None,
          resume_from: dict | None = None,
          on_checkpoint: Callable[[dict], None] | None = None, observer=None) -> TrainResult:
    """Train `model` in place on `arrays`; points go to `on_event`, `should_stop` is asked between steps.

    `resume_from` is a state that `on_checkpoint` was given (at every epoch's end, and when `should_stop`
    ends the loop part-way): the run carries on from it exactly, for `config.epochs` more epochs counting a
    partly trained one (`checkpoint.remaining_epochs(state)` finishes the plan it was taken in).
    `observer` (an `xray.Xray`) is called after each backward and optimizer step."""
    return Loop(model, arrays, config, on_event, should_stop, resume_from, on_checkpoint, observer).run()
