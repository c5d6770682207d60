"""What a trained model does to its input before the design sees it: scale, then normalize per channel.

The engine applies exactly this while training; downloads wrap the compiled model in it
(`Preprocessed`) and the exported source spells it out, so a downloaded model takes inputs as the
dataset stores them (pixels 0..255 for uint8 images). It holds no weights: its buffers are not
persistent, so state_dict keys stay the design's node ids.
"""
from __future__ import annotations

import torch
from torch import nn


class Preprocess(nn.Module):
    """x -> (x * scale - mean) / std, mean and std per channel (`channel_dim` of a sample).

    `normalization` is a run result's {"scale", "mean", "std"}; mean and std may be None (scale only)."""

    def __init__(self, normalization: dict, sample_dims: int, channel_dim: int = 0):
        super().__init__()
        self.scale = float(normalization.get("scale") or 1.0)
        mean, std = normalization.get("mean"), normalization.get("std")
        self.normalize = mean is not None
        shape = channel_shape(len(mean or [1]), sample_dims, channel_dim)
        self.register_buffer("mean", torch.tensor(mean or [0.0], dtype=torch.float32).reshape(shape), persistent=False)
        self.register_buffer("std", torch.tensor(std or [1.0], dtype=torch.float32).reshape(shape), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.float32)
        if self.scale != 1.0:
            x = x * self.scale
        if self.normalize:
            x = (x - self.mean) / self.std
        return x


def channel_shape(channels: int, sample_dims: int, channel_dim: int) -> list[int]:
    """The broadcast shape of per-channel numbers over one sample, e.g. [3, 1, 1] for [3, H, W]."""
    shape = [1] * max(sample_dims, 1)
    shape[channel_dim] = channels
    return shape


class Preprocessed(nn.Module):
    """A compiled model that takes raw inputs: `preprocess` then the model."""

    def __init__(self, model: nn.Module, preprocess: Preprocess):
        super().__init__()
        self.preprocess, self.model = preprocess, model

    def forward(self, x: torch.Tensor):
        return self.model(self.preprocess(x))
