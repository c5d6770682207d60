"""LayerLab's own layerlab.graph/1 JSON: imported as it is, once it checks."""
from __future__ import annotations

from .base import Imported, ImportLimits, ImportRefused
from ..document import FORMAT
from ..summary import summarize


def import_layerlab(doc: dict, limits: ImportLimits) -> Imported:
    if doc.get("format") != FORMAT:
        raise ImportRefused(f'the JSON has a "format" of {str(doc.get("format"))[:40]!r}; LayerLab reads "{FORMAT}"')
    # A design in progress may be invalid (the editor shows why), but it must be a design.
    if not isinstance(doc.get("nodes"), list):
        raise ImportRefused('the document\'s "nodes" must be a list')
    summary = summarize(doc, limits.graph)
    report = {"source": "layerlab", "format": FORMAT, "valid": summary["valid"],
              "params": summary["trainable_params"], "layers": [], "notes": [], "weights": False}
    return Imported(doc, report)
