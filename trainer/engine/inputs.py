"""Inputs on the device: scaled, normalized and augmented per batch.

uint8 images stay uint8 on the device (a quarter of float32's memory) and become float32 batch by
batch; float data is normalized once, in place of its copy, with the very same arithmetic
(`builder.preprocess.Preprocess`), so the per-batch cost of normalizing floats is nothing.
Augmentation (random crop with zero padding, horizontal flip) runs on the device, drawn from its
own seeded generator so that a checkpoint can hand it on.
"""
import torch

from builder.preprocess import Preprocess

STATS_CHUNK = 4096


def wants_normalization(config, arrays) -> bool:
    if arrays.x_train.dtype.kind in "iu" and arrays.x_train.dtype != "uint8":
        return False  # token ids
    return config.normalize == "on" or (config.normalize == "auto" and arrays.meta.get("kind") == "image")


def channel_dim(arrays) -> int:
    """Per-sample axis of channels: the first, except for sequences [L, F], whose features are the last."""
    return len(arrays.input_shape) - 1 if arrays.meta.get("kind") == "sequence" else 0


@torch.no_grad()
def channel_stats(x: torch.Tensor, idx: torch.Tensor, scale: float, dim: int) -> tuple[list[float], list[float]]:
    """Mean and std per channel of x[idx] * scale, summed in float64 a chunk at a time."""
    axes = [0] + [d + 1 for d in range(x.dim() - 1) if d != dim]
    total = total_sq = 0
    for i in range(0, len(idx), STATS_CHUNK):
        xs = x[idx[i:i + STATS_CHUNK]].double() * scale
        total = total + xs.sum(axes)
        total_sq = total_sq + (xs * xs).sum(axes)
    count = len(idx) * x[0].numel() / x.shape[dim + 1]
    mean = total / count
    std = (total_sq / count - mean * mean).clamp_min(0).sqrt()
    std = torch.where(std > 1e-8, std, torch.ones_like(std))  # a constant channel is left as it is
    return mean.float().tolist(), std.float().tolist()


def as_tensor(x) -> torch.Tensor:
    # torch has only "barebones" uint16 (few kernels, fewer on CUDA): such token ids gather as int32.
    t = torch.as_tensor(x)
    return t.to(torch.int32) if t.dtype in (torch.uint16, torch.uint32) else t


class Inputs:
    """The training inputs on `device`, and how a batch of them reaches the model."""

    def __init__(self, arrays, config, train_idx: torch.Tensor, device: torch.device, generator_seed: int):
        x = as_tensor(arrays.x_train).to(device)
        # uint8 is pixels, except for text, whose token ids are stored in the smallest integer type.
        self.raw_uint8 = x.dtype == torch.uint8 and arrays.meta.get("kind") not in ("tokens", "text")
        scale = 1 / 255 if self.raw_uint8 else 1.0
        dim = channel_dim(arrays)
        mean = std = None
        if wants_normalization(config, arrays):
            mean, std = channel_stats(x, train_idx, scale, dim)
        self.normalization = None
        if self.raw_uint8 or mean is not None:
            self.normalization = {"scale": scale, "mean": mean, "std": std, "channel_dim": dim}
        self.preprocess = Preprocess(self.normalization or {}, x.dim() - 1, dim).to(device)
        self.per_batch = self.raw_uint8  # float data is prepared once, here
        self.x = x if self.per_batch or self.normalization is None else self.prepare(x)
        self.x_test = self.load(arrays.x_test, device)
        self.crop, self.flip = config.augment_crop, config.augment_flip
        self.augments = bool(self.crop or self.flip) and x.dim() == 4
        self.generator = torch.Generator(device=device).manual_seed(generator_seed)
        # Crop padding holds what a zero pixel becomes, so padding means the same on either path.
        zero = torch.zeros((1,) * x.dim(), device=device)
        self.fill = zero.to(x.dtype) if self.per_batch else self.preprocess(zero)

    def load(self, x, device) -> torch.Tensor:
        x = as_tensor(x).to(device)
        return x if self.per_batch or self.normalization is None else self.prepare(x)

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        return self.preprocess(x) if self.normalization is not None else x

    def batch(self, x: torch.Tensor, idx: torch.Tensor, train: bool = True) -> torch.Tensor:
        xb = x[idx]
        if train and self.augments:
            xb = self.augment(xb)
        return self.prepare(xb) if self.per_batch else self.widen(xb)

    @staticmethod
    def widen(xb: torch.Tensor) -> torch.Tensor:
        """Token ids stored narrow (uint8, int32) become the int64 embeddings take, a batch at a time."""
        return xb.long() if not xb.is_floating_point() and xb.dtype != torch.int64 else xb

    def augment(self, xb: torch.Tensor) -> torch.Tensor:
        n, c, h, w = xb.shape
        if self.flip:
            mirror = torch.rand(n, generator=self.generator, device=xb.device) < 0.5
            xb = torch.where(mirror[:, None, None, None], xb.flip(-1), xb)
        if self.crop:
            p = self.crop
            padded = self.fill.expand(n, c, h + 2 * p, w + 2 * p).clone()
            padded[:, :, p:p + h, p:p + w] = xb
            dy = torch.randint(0, 2 * p + 1, (n, 1), generator=self.generator, device=xb.device)
            dx = torch.randint(0, 2 * p + 1, (n, 1), generator=self.generator, device=xb.device)
            rows = (dy + torch.arange(h, device=xb.device))[:, None, :, None]
            cols = (dx + torch.arange(w, device=xb.device))[:, None, None, :]
            batch = torch.arange(n, device=xb.device)[:, None, None, None]
            chans = torch.arange(c, device=xb.device)[None, :, None, None]
            xb = padded[batch, chans, rows, cols]
        return xb
