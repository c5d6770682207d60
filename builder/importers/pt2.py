"""`.pt2` files (torch.export) are refused: loading one runs pickle, which can execute code."""
from __future__ import annotations

from .base import ImportRefused

REASON = ("a .pt2 file cannot be imported: torch.export.load falls back to unpickling its parts, and unpickling "
          "a file from someone else can run any code; export the model to ONNX (torch.onnx.export) and import that")


def import_pt2(data: bytes):
    raise ImportRefused(REASON)
