"""ONNX models as designs (placeholder until written)."""
from .base import ImportRefused


def import_onnx(data, limits):
    raise ImportRefused("ONNX import is not written yet")
