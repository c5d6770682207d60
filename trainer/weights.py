"""A run's trained weights on disk, and their downloads in every format."""

import os
from pathlib import Path

import torch
from django.conf import settings

from builder.api import check_exportable
from builder.compile import compile_graph
from builder.export import export_onnx, export_torchscript

FORMATS = {"pt": "pt", "safetensors": "safetensors", "onnx": "onnx", "torchscript": "torchscript.pt"}


def path(run_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "runs" / str(run_id) / "weights.pt"


def save(run_id: int, model: torch.nn.Module) -> None:
    """Write atomically, so a download never reads half a file."""
    from .models import Run

    target = path(run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    torch.save(state, tmp)
    os.replace(tmp, target)
    Run.objects.filter(pk=run_id, has_weights=False).update(has_weights=True)


def load(run_id: int) -> dict:
    return torch.load(path(run_id), map_location="cpu", weights_only=True)


def export(run, fmt: str) -> bytes:
    state = load(run.pk)
    if fmt == "pt":
        return path(run.pk).read_bytes()
    if fmt == "safetensors":
        from safetensors.torch import save

        return save(state)
    check_exportable(run.document)  # a 400 before the exporter allocates too much
    model = compile_graph(run.document)
    model.load_state_dict(state)
    model.eval()
    return (export_onnx if fmt == "onnx" else export_torchscript)(model, run.document)
