"""ONNX models as designs, their initializers as the design's starting weights.

Parsed with the `onnx` package only: nothing is executed. The nodes are walked in order (ONNX keeps
them topologically sorted); each value is either a LayerLab tensor (`Value`), a constant, shape
arithmetic (`Dyn`: the exporter's bookkeeping around dynamic batch sizes, which blocks do not need),
or part of a recurrent layer still waiting to learn how its output is read (`onnx_rnn`).
A file exported by LayerLab also carries its design; it is used where it computes the same outputs.
"""
from __future__ import annotations

import json

import torch

from .base import Imported, ImportLimits, ImportRefused, checked
from .onnx_graph import Converter, external_data

MAX_OPS = 20_000


def import_onnx(data: bytes, limits: ImportLimits) -> Imported:
    import onnx

    try:
        model = onnx.load_from_string(data)
    except Exception as exc:  # noqa: BLE001 - protobuf raises DecodeError, RuntimeError or ValueError by version
        raise ImportRefused(f"the file is neither JSON nor a readable ONNX model ({type(exc).__name__})") from None
    graph = model.graph
    if not graph.node and not graph.input:
        raise ImportRefused("the file is neither JSON nor an ONNX model (no graph inside)")
    if len(graph.node) > MAX_OPS:
        raise ImportRefused(f"the ONNX graph has {len(graph.node):,} operators, more than the limit of {MAX_OPS:,}")
    where = external_data(model)
    if where:
        raise ImportRefused(f"the ONNX model keeps {where} in an external file; LayerLab reads only self-contained "
                            "models (save with onnx.save(model, path, save_as_external_data=False))")
    c = Converter(graph)
    c.run()
    name = graph.name if isinstance(graph.name, str) and 1 <= len(graph.name) <= 100 and graph.name != "main_graph" else "onnx-model"
    document = {"format": "layerlab.graph/1", "name": name, "nodes": c.nodes, "outputs": c.outputs()}
    checked(document, limits, "ONNX model")
    weights = c.state_dict()
    check_weights(document, weights)
    embedded = embedded_design(model, document, weights)
    if embedded is not None:
        document, weights = embedded
        c.notes.insert(0, "the file was exported by LayerLab: its design (ids, Dropout, layout) was kept, "
                          "after checking that it computes what the ONNX graph computes")
    summary = checked(document, limits, "ONNX model")
    report = {"source": "onnx", "format": f"ONNX opset {max((o.version for o in model.opset_import), default=0)}",
              "layers": c.layers, "params": summary["trainable_params"], "notes": c.notes, "weights": bool(weights)}
    return Imported(document, report, weights or None)


def check_weights(document: dict, weights: dict) -> None:
    from ..compile import compile_graph

    model = compile_graph(document)
    try:
        model.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise ImportRefused(f"the ONNX weights do not fit the design their graph describes: {str(exc)[:300]}") from None


def embedded_design(model, derived: dict, weights: dict) -> tuple[dict, dict] | None:
    """The LayerLab design stored in the file's metadata, with the weights under its names, when it holds the
    same tensors (in the same order: a 2-layer LSTM is two 1-layer blocks in ONNX) and computes the same."""
    from ..compile import compile_graph
    from ..document import check_document
    from ..export import example_inputs

    text = next((p.value for p in model.metadata_props if p.key == "layerlab.graph"), None)
    if not text or len(text) > 5 * 1024 * 1024:
        return None
    try:
        doc = json.loads(text)
        a, b = compile_graph(doc), compile_graph(derived)
        b.load_state_dict(weights, strict=True)
        theirs, ours = a.state_dict(), b.state_dict()
        if [v.shape for v in theirs.values()] != [v.shape for v in ours.values()]:
            return None
        renamed = dict(zip(theirs, ours.values()))
        a.load_state_dict(renamed, strict=True)
        graph = check_document(doc)
        if graph.inputs != check_document(derived).inputs:
            return None
        torch.manual_seed(0)
        x = [t.random_(0, 5) if not t.is_floating_point() else torch.randn_like(t) for t in example_inputs(graph, 3)]
        with torch.no_grad():
            got, want = a(*x), b(*x)
        got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, tuple) else (want,))
        same = len(got) == len(want) and all(g.shape == w.shape and torch.allclose(g, w, rtol=1e-4, atol=1e-5) for g, w in zip(got, want))
    except Exception:  # noqa: BLE001 - anything wrong with the metadata just means it is not used
        return None
    return (doc, renamed) if same else None

