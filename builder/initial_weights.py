"""Starting weights of imported designs, as safetensors files under MEDIA_ROOT (an adapter: it knows Django).

An import with weights (ONNX) parks them under a one-time token in imports/<user>/; POST /api/graphs/ with
that token moves them beside the new graph as graphs/<id>/initial.safetensors, where export finds them.
Tokens nobody claims are swept after a day, at the same user's next import.
"""
from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

import torch
from django.conf import settings
from safetensors.torch import load_file, save_file

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEEP_S = 24 * 3600


def parked(user_id: int, token: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / str(user_id) / f"{token}.safetensors"


def graph_path(graph_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "graphs" / str(graph_id) / "initial.safetensors"


def park(user_id: int, weights: dict[str, torch.Tensor]) -> str:
    token = secrets.token_hex(16)
    target = parked(user_id, token)
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob("*.safetensors"):
        if old.stat().st_mtime < time.time() - KEEP_S:
            old.unlink(missing_ok=True)
    tmp = target.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in weights.items()}, str(tmp))
    tmp.replace(target)
    return token


def check_token(user_id: int, token: object) -> str | None:
    """What is wrong with a weights token, or None when it names this user's parked weights."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return "weights must be the token an import answered"
    if not parked(user_id, token).exists():
        return "no imported weights have this token (they are kept for a day, and serve one design)"
    return None


def claim(user_id: int, token: str, graph_id: int) -> None:
    target = graph_path(graph_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(parked(user_id, token), target)


def load(graph_id: int) -> dict[str, torch.Tensor] | None:
    path = graph_path(graph_id)
    return load_file(str(path)) if path.exists() else None


def forget(graph_id: int) -> None:
    shutil.rmtree(graph_path(graph_id).parent, ignore_errors=True)
