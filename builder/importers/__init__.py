"""Designs from other tools' files: Keras JSON, ONNX, LayerLab's own JSON. Pure core (no Django).

`import_file(data, filename)` sniffs the file, maps it through the block catalogue and answers an
`Imported`: the design document, a report of what became what, and (ONNX) the starting weights.
Anything that cannot be mapped raises `ImportRefused` naming it; nothing is imported half-way.
"""
from __future__ import annotations

from .base import Imported, ImportLimits, ImportRefused

__all__ = ["Imported", "ImportLimits", "ImportRefused", "import_file"]


def import_file(data: bytes, filename: str = "", limits: ImportLimits = ImportLimits()) -> Imported:
    """The design in `data`; the file's kind is told by its content, the name only breaks ties."""
    try:
        return sniff(data, filename, limits)
    except ImportRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - a file can be malformed in ways no check foresaw: still a 4xx, never a 500
        raise ImportRefused(f"the file is malformed in a way the importer cannot read ({type(exc).__name__}); "
                            "nothing was imported") from exc


def sniff(data: bytes, filename: str, limits: ImportLimits) -> Imported:
    from .base import check_size, load_json

    check_size(data, limits)
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        doc = load_json(data, limits)
        if isinstance(doc, dict) and "format" in doc and "nodes" in doc:
            from .layerlab import import_layerlab
            return import_layerlab(doc, limits)
        from .keras import import_keras
        return import_keras(doc, limits)
    if data[:2] == b"PK" or filename.lower().endswith(".pt2"):
        from .pt2 import import_pt2
        return import_pt2(data)
    from .onnx import import_onnx
    return import_onnx(data, limits)
