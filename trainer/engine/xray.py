"""X-ray: per-block statistics of a model while it trains, for the run page.

Pure core. Every few steps (at most `max_messages` per run, and not more often than `min_interval`
seconds) the loop's observer records, for each block (a node of the design):
- the activations of a fixed probe batch: mean, standard deviation (population), fraction of zeros, and
  fraction of dead units (zero for every probe sample);
- the gradient norm of each parameter tensor, taken after backward and before any clipping;
- the update-to-weight ratio ||ΔW|| / ||W|| of the optimizer step (weights are copied on probe steps only);
- for convolution blocks, a few feature maps of the first probe sample, at most `map_size` square,
  quantised to 0..255 (each map scaled between its own minimum and maximum).
The result is one `{"type": "layers", "step", "epoch", "time", "blocks": {id: {...}}}` event.
"""
import math
import time
from typing import Callable

import torch
from torch import fx, nn
from torch.nn import functional as F

MAX_MESSAGES = 200  # layers messages per run: a long run stays small
MIN_EVERY = 20  # steps between probes at least: a probe costs about a third of a training step
MIN_INTERVAL = 0.25  # seconds between probes at least
PROBE_SIZE = 16  # samples in the probe batch


def activation_stats(value: torch.Tensor) -> dict:
    """Mean, population std and fraction of exact zeros of a batch of outputs, and the fraction of units (the
    per-sample positions) that are zero for every sample: dead, as a ReLU that never fires."""
    v = value.detach().float()
    zero = v == 0
    dead = zero.all(dim=0).float().mean().item() if v.dim() > 1 else zero.float().mean().item()
    return {"mean": v.mean().item(), "std": v.std(correction=0).item(), "zeros": zero.float().mean().item(),
            "dead": dead}


def norm(tensors: list[torch.Tensor]) -> float:
    """The L2 norm of several tensors taken as one vector."""
    return math.sqrt(sum(float(t.detach().float().pow(2).sum()) for t in tensors))


def feature_maps(value: torch.Tensor, channels: int = 4, size: int = 16) -> list[list[list[int]]]:
    """The first sample's first `channels` maps of an (N, C, H, W) tensor, average-pooled to at most size×size,
    each scaled from its own min (0) to max (255) and rounded; a constant map is all zeros."""
    maps = value[0, :channels].detach().float()
    h, w = maps.shape[-2:]
    if h > size or w > size:
        maps = F.adaptive_avg_pool2d(maps[None], (min(h, size), min(w, size)))[0]
    lo = maps.amin(dim=(-2, -1), keepdim=True)
    span = maps.amax(dim=(-2, -1), keepdim=True) - lo
    scaled = torch.where(span > 0, (maps - lo) / span.clamp_min(1e-30) * 255, torch.zeros_like(maps))
    return scaled.round().to(torch.int64).tolist()


def ratio(delta: float, weight: float) -> float | None:
    return delta / weight if weight > 0 else None


def block_params(model: nn.Module) -> dict[str, dict[str, nn.Parameter]]:
    """Trainable parameters by block: `<id>.<tensor>` names, as in the state_dict."""
    blocks: dict[str, dict[str, nn.Parameter]] = {}
    for name, p in model.named_parameters():
        if p.requires_grad:
            block, _, tensor = name.partition(".")
            blocks.setdefault(block, {})[tensor] = p
    return blocks


class Capture(fx.Interpreter):
    """Runs a compiled design and keeps the value of every design node (its fx node's meta names it)."""

    def __init__(self, module: fx.GraphModule):
        super().__init__(module)
        self.values: dict[str, torch.Tensor] = {}

    def run_node(self, n: fx.Node):
        value = super().run_node(n)
        block = n.meta.get("block")
        if block is not None and n.op != "placeholder":
            self.values[block] = value[0] if isinstance(value, tuple) else value
        return value


def activations(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each block's output on `x`: design nodes of a compiled GraphModule, else the model's direct children."""
    if isinstance(model, fx.GraphModule) and any("block" in n.meta for n in model.graph.nodes):
        capture = Capture(model)
        capture.run(x)
        return capture.values
    values, hooks = {}, []
    for name, child in model.named_children():
        keep = lambda mod, args, out, name=name: values.__setitem__(name, out[0] if isinstance(out, tuple) else out)
        hooks.append(child.register_forward_hook(keep))
    try:
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return values


class Xray:
    """The loop's observer: `begin` once, then `after_backward` and `after_step` on every step."""

    def __init__(self, max_messages: int = MAX_MESSAGES, min_every: int = MIN_EVERY,
                 min_interval: float = MIN_INTERVAL, channels: int = 4, map_size: int = 16, clock=time.monotonic,
                 probe_size: int = PROBE_SIZE):
        self.max_messages, self.min_every, self.min_interval = max_messages, min_every, min_interval
        self.probe_size = probe_size
        self.channels, self.map_size, self.clock = channels, map_size, clock
        self.last = float("-inf")
        self.due = False

    def begin(self, model: nn.Module, probe: torch.Tensor, steps: int, emit: Callable[[dict], None]) -> None:
        """`probe`: the fixed batch (as the model takes it); `steps`: the steps this run will take."""
        self.model, self.probe, self.emit = model, probe, emit
        self.every = max(self.min_every, math.ceil(steps / self.max_messages))

    def after_backward(self, step: int) -> None:
        """Gradients are fresh: on a probe step, keep their norms and a copy of the weights."""
        self.due = (step == 1 or step % self.every == 0) and self.clock() - self.last >= self.min_interval
        if not self.due:
            return
        self.params = block_params(self.model)
        self.grads = {b: {t: norm([p.grad]) for t, p in ps.items() if p.grad is not None}
                      for b, ps in self.params.items()}
        self.before = {b: {t: p.detach().clone() for t, p in ps.items()} for b, ps in self.params.items()}

    def after_step(self, step: int, epoch: int) -> None:
        """The optimizer has stepped: on a probe step, send the block statistics."""
        if not self.due:
            return
        self.due, self.last = False, self.clock()
        blocks = {}
        for block, value in self.probe_activations().items():
            blocks[block] = self.describe(block, value)
        for block in self.params:
            blocks.setdefault(block, {}).update(self.weights(block))
        self.before = self.params = self.grads = None
        self.emit({"type": "layers", "step": step, "epoch": epoch, "time": time.time(), "blocks": blocks})

    @torch.no_grad()
    def probe_activations(self) -> dict[str, torch.Tensor]:
        was_training = self.model.training
        self.model.eval()  # no dropout, and batch norm's running statistics stay untouched
        try:
            return activations(self.model, self.probe)
        finally:
            self.model.train(was_training)

    def describe(self, block: str, value) -> dict:
        if not torch.is_tensor(value) or not value.is_floating_point():
            return {}
        out = activation_stats(value)
        module = dict(self.model.named_children()).get(block)
        if isinstance(module, nn.Conv2d) and value.dim() == 4:
            out["maps"] = feature_maps(value, self.channels, self.map_size)
        return out

    def weights(self, block: str) -> dict:
        params, before, grads = self.params[block], self.before[block], self.grads[block]
        update = {t: ratio(norm([p - before[t]]), norm([before[t]])) for t, p in params.items()}
        return {"grad": grads, "grad_norm": math.sqrt(sum(g * g for g in grads.values())),
                "update": update,
                "update_ratio": ratio(norm([p - before[t] for t, p in params.items()]), norm(list(before.values())))}
