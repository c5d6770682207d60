"""The training loop: a plain loop over tensors already on the device, reporting through a callback.

Pure core (no Django, Celery or Channels), in the manner of minGPT's trainer: the caller passes
`on_event` (stores and streams points) and `should_stop` (a stop button), and keeps the model,
which is trained in place so its weights survive a stop or a failure.
"""
import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .data import Arrays
from .engine_checks import check_config, check_input_matches  # noqa: F401  (part of this module's interface)
from .engine_points import Meter, PointQueue

SOFTMAX_NOTE = ("Your design ends in Softmax, so its outputs are already probabilities. LayerLab "
                "trained it with log + negative log-likelihood, which equals cross-entropy on the "
                "logits, instead of applying softmax a second time.")
MAX_TRAIN_POINTS = 1000  # live-curve points per run: smooth, yet a long run stays small
EVAL_BATCH = 1024


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"  # "sgd" (with momentum) | "adam" | "adamw"
    lr: float = 0.001
    weight_decay: float = 0.0
    momentum: float = 0.9  # sgd only
    loss: str = "cross_entropy"  # "cross_entropy" | "mse"
    seed: int = 0
    val_fraction: float = 0.1
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    output_is_probability: bool = False  # set by the caller when the design ends in Softmax

    def check(self) -> list[str]:
        """Readable problems with these settings; empty when they are fine."""
        return check_config(self)


@dataclass
class TrainResult:
    status: str  # "succeeded" | "cancelled"
    epochs: int  # epochs completed
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

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def make_optimizer(model: torch.nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


class Objective:
    """The loss for the dataset and config, and whether accuracy means anything."""

    def __init__(self, arrays: Arrays, config: TrainConfig):
        self.num_classes = arrays.num_classes
        self.mse = config.loss == "mse"
        self.probabilities = config.output_is_probability and not self.mse

    def target(self, y) -> torch.Tensor:
        return y.long() if self.num_classes and not self.mse else y.float()

    def __call__(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.mse:
            if self.num_classes and out.shape[-1] == self.num_classes and out.dim() == 2:
                y = F.one_hot(y.long(), self.num_classes)  # class labels as one-hot targets
            return F.mse_loss(out.float(), y.float().reshape(out.shape))
        if self.probabilities:
            return F.nll_loss(torch.log(out.float().clamp_min(1e-12)), y)
        return F.cross_entropy(out.float(), y)

    def correct(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor | int | None:
        """How many predictions hit their label: a device tensor on CUDA (no sync), an int on the CPU."""
        if not self.num_classes:
            return None
        if out.device.type == "cpu":  # numpy's argmax costs a third of three torch dispatches on a small batch
            return int(np.count_nonzero(out.detach().numpy().argmax(-1) == y.numpy()))
        return (out.argmax(-1) == y).sum()


def split_train_val(arrays: Arrays, config: TrainConfig, generator: torch.Generator):
    n = arrays.train_size
    n_val = int(n * config.val_fraction)
    if config.val_fraction > 0 and n_val == 0 and n > 1:
        n_val = 1
    n_val = min(n_val, n - 1)
    order = torch.randperm(n, generator=generator)
    return order[n_val:], order[:n_val]


@torch.no_grad()
def evaluate(model, x, y, objective: Objective, autocast) -> tuple[float | None, float | None, list | None]:
    """Loss, accuracy and confusion matrix over (x, y) in eval mode; Nones when there is no data."""
    if len(x) == 0:
        return None, None, None
    was_training = model.training
    model.eval()
    meter = Meter(x.device.type == "cuda")
    k = objective.num_classes
    cells = torch.zeros(k * k, dtype=torch.long, device=x.device) if k else None
    for i in range(0, len(x), EVAL_BATCH):
        xb, yb = x[i:i + EVAL_BATCH], y[i:i + EVAL_BATCH]
        with autocast():
            out = first(model(model_input(xb)))
        meter.add(objective(out, yb), objective.correct(out, yb), len(xb))
        if k:
            pred, true = out.argmax(-1).reshape(-1), yb.long().reshape(-1)
            ok = pred < k
            cells += torch.bincount(true[ok] * k + pred[ok], minlength=k * k)
    model.train(was_training)
    loss, acc = meter.read()
    return loss, acc, cells.reshape(k, k).tolist() if k else None


def as_tensor(x: np.ndarray) -> torch.Tensor:
    # torch has only "barebones" uint16 (few kernels, fewer on CUDA): such token ids gather as int32.
    t = torch.as_tensor(x)
    return t.to(torch.int32) if t.dtype in (torch.uint16, torch.uint32) else t


def model_input(xb: torch.Tensor) -> torch.Tensor:
    """Token ids are stored in the smallest integer type (uint8, uint16, int32); embeddings take int64,
    so each batch is widened on its way in, never the whole dataset."""
    return xb.long() if not xb.is_floating_point() and xb.dtype != torch.int64 else xb


def first(out):
    """A design with several outputs trains on its first one."""
    return out[0] if isinstance(out, (tuple, list)) else out


class Loop:
    """One training run's state; `run` is the loop, the rest are its small steps."""

    def __init__(self, model, arrays: Arrays, config: TrainConfig, on_event, should_stop):
        self.model, self.arrays, self.config = model, arrays, config
        self.on_event = on_event or (lambda event: None)
        self.should_stop = should_stop or (lambda: False)
        self.device = resolve_device(config.device)
        self.cuda = self.device.type == "cuda"
        self.objective = Objective(arrays, config)
        self.notes = [SOFTMAX_NOTE] if self.objective.probabilities else []
        self.generator = torch.Generator().manual_seed(config.seed)
        self.load_data()
        self.steps_per_epoch = math.ceil(len(self.train_idx) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.interval = max(1, math.ceil(self.total_steps / MAX_TRAIN_POINTS))
        self.step, self.epochs_done, self.train_seconds, self.samples = 0, 0, 0.0, 0
        self.meter, self.point_seconds, self.t_segment = Meter(self.cuda), 0.0, 0.0
        self.points = PointQueue(self.send_train)
        self.last = {"train_loss": None, "val_loss": None, "val_accuracy": None}

    def load_data(self) -> None:
        # Everything moves to the device once; batches are index gathers there, no DataLoader.
        a, to = self.arrays, self.device
        train_idx, val_idx = split_train_val(a, self.config, self.generator)
        x, y = as_tensor(a.x_train), self.objective.target(torch.as_tensor(a.y_train))
        self.x, self.y = x.to(to), y.to(to)
        self.train_idx, self.val_idx = train_idx.to(to), val_idx.to(to)
        self.x_test = as_tensor(a.x_test).to(to)
        self.y_test = self.objective.target(torch.as_tensor(a.y_test)).to(to)

    def autocast(self):
        # bf16 on CUDA; on CPU autocast would only cost time, so it is skipped.
        return torch.autocast("cuda", dtype=torch.bfloat16) if self.cuda else contextlib.nullcontext()

    def emit(self, split: str, epoch: int, loss, accuracy, samples_per_s, step: int) -> None:
        self.on_event({"type": "metric", "epoch": epoch, "step": step, "total_steps": self.total_steps,
                       "split": split, "loss": loss, "accuracy": accuracy,
                       "samples_per_s": samples_per_s, "time": time.time()})

    def run(self) -> TrainResult:
        started = time.perf_counter()
        self.model.to(self.device).train()
        self.optimizer = make_optimizer(self.model, self.config)
        torch.manual_seed(self.config.seed)  # dropout and other in-model randomness repeat too
        status = "succeeded"
        for epoch in range(1, self.config.epochs + 1):
            if not self.train_epoch(epoch):
                status = "cancelled"
                break
            self.epochs_done = epoch
            self.validate(epoch)
        test_loss, test_acc, confusion = evaluate(self.model, self.x_test, self.y_test, self.objective, self.autocast)
        return TrainResult(
            status=status, epochs=self.epochs_done, steps=self.step, test_loss=test_loss, test_accuracy=test_acc,
            confusion_matrix=confusion, samples_per_s=self.samples / self.train_seconds if self.train_seconds else 0.0,
            seconds=time.perf_counter() - started, device=str(self.device), notes=self.notes, **self.last)

    def train_epoch(self, epoch: int) -> bool:
        """One pass over the training split; False when stopped part-way."""
        bs = self.config.batch_size
        order = self.train_idx[torch.randperm(len(self.train_idx), generator=self.generator).to(self.device)]
        t_epoch = self.t_segment = time.perf_counter()
        finished = True
        for i in range(0, len(order), bs):
            if self.should_stop():
                finished = False
                break
            idx = order[i:i + bs]
            self.meter.add(*self.train_step(self.x[idx], self.y[idx]), len(idx))
            self.step += 1
            self.samples += len(idx)
            if self.step % self.interval == 0 or self.step == self.total_steps:
                self.push_point(epoch)
        if not finished and self.meter.count:
            self.push_point(epoch)  # what was trained before the stop still shows
        self.points.flush()  # every train point of the epoch is out before its val point
        self.train_seconds += time.perf_counter() - t_epoch
        return finished

    def push_point(self, epoch: int) -> None:
        # A point averages every step since the previous one, across an epoch's end if need be.
        now = time.perf_counter()
        self.point_seconds += now - self.t_segment
        self.t_segment = now
        speed = self.meter.count / max(self.point_seconds, 1e-9)
        self.points.push(self.meter, {"epoch": epoch, "step": self.step, "samples_per_s": speed})
        self.meter.reset()
        self.point_seconds = 0.0

    def send_train(self, fields: dict, loss: float, accuracy: float | None) -> None:
        self.last["train_loss"] = loss
        self.emit("train", fields["epoch"], loss, accuracy, fields["samples_per_s"], fields["step"])

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor):
        with self.autocast():
            out = first(self.model(model_input(xb)))
            loss = self.objective(out, yb)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss, self.objective.correct(out.detach(), yb)

    def validate(self, epoch: int) -> None:
        if len(self.val_idx) == 0:
            return
        x, y = self.x[self.val_idx], self.y[self.val_idx]
        loss, acc, _ = evaluate(self.model, x, y, self.objective, self.autocast)
        self.last.update(val_loss=loss, val_accuracy=acc)
        speed = self.samples / self.train_seconds if self.train_seconds else 0.0
        self.emit("val", epoch, loss, acc, speed, self.step)


def train(model: torch.nn.Module, arrays: Arrays, config: TrainConfig,
          on_event: Callable[[dict], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> TrainResult:
    """Train `model` in place on `arrays`; points go to `on_event`, `should_stop` is asked between steps."""
    return Loop(model, arrays, config, on_event, should_stop).run()
