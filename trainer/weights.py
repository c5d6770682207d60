"""A run's trained weights on disk, and their downloads in every format."""

import json
import os
from pathlib import Path

import torch
from django.conf import settings

from builder.api import check_exportable
from builder.compile import compile_graph
from builder.document import check_document
from builder.export import BINARY_EXPORTS, export_pytorch

from .engine.job import raw_input_model

FORMATS = {"pt": "pt", "safetensors": "safetensors", "onnx": "onnx", "torchscript": "torchscript.pt", "pt2": "pt2"}


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
    os.replace(tmp, target)  # one file per run: each checkpoint replaces the last
    Run.objects.filter(pk=run_id).update(has_weights=True, weights_bytes=target.stat().st_size)


def remove(run_id: int) -> None:
    """Delete every file of a run (weights, checkpoint)."""
    import shutil

    shutil.rmtree(path(run_id).parent, ignore_errors=True)


def checkpoint_path(run_id: int) -> Path:
    return path(run_id).with_name("checkpoint.pt")


def save_checkpoint(run_id: int, state: dict) -> None:
    """The engine's resumable state (weights, optimizer, schedule, random state, position); only the
    last one is kept, written atomically like the weights."""
    target = checkpoint_path(run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, target)


def load_checkpoint(run_id: int) -> dict | None:
    target = checkpoint_path(run_id)
    return torch.load(target, map_location="cpu", weights_only=True) if target.exists() else None


def load(run_id: int) -> dict:
    return torch.load(path(run_id), map_location="cpu", weights_only=True)


def normalization(run) -> dict | None:
    """What training did to the inputs (scale, per-channel mean and std), from the run's result."""
    return (run.result or {}).get("normalization") if isinstance(run.result, dict) else None


def code(run) -> str:
    """The PyTorch source of the run's design, taking inputs as the dataset stores them."""
    return export_pytorch(run.document, preprocess=normalization(run))


def export(run, fmt: str) -> bytes:
    """Every format takes raw inputs: ONNX and TorchScript hold the preprocessing, safetensors names it in
    its metadata, and the .pt state_dict goes with the source from `code`."""
    state = load(run.pk)
    norm = normalization(run)
    if fmt == "pt":
        return path(run.pk).read_bytes()
    if fmt == "safetensors":
        from safetensors.torch import save

        return save(state, metadata={"layerlab.normalization": json.dumps(norm)} if norm else None)
    check_exportable(run.document)  # a 400 before the exporter allocates too much
    graph = check_document(run.document)
    model = compile_graph(graph)
    model.load_state_dict(state)
    model.eval()
    sample_dims = len(graph.by_id[graph.inputs[0]].params["shape"]) if graph.inputs else 1
    model = raw_input_model(model, norm, sample_dims).eval()
    # The design travels in an ONNX file's metadata only when the model is the design itself.
    return BINARY_EXPORTS[fmt](model, graph if norm else run.document)
