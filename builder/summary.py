"""The summary JSON of the spec: shapes, parameters, FLOPs, errors and warnings, for any input at all."""
from __future__ import annotations

from .document import Graph, Limits, check_document
from .errors import GraphError, GraphInvalid
from .infer import NodeInfo, infer_graph
from .infer import sizes as fmt_sizes

AFFINE = ("Linear", "Conv1d", "Conv2d")
SPATIAL = ("Conv1d", "Conv2d", "MaxPool1d", "AvgPool1d", "MaxPool2d", "AvgPool2d")
PASS_THROUGH = ("Flatten", "Dropout", "Reshape", "Permute")  # linear and shape-only: no activation hides behind them


def summarize(doc: object, limits: Limits = Limits()) -> dict:
    """The spec's summary of a document, or of a Graph that check_document already gave (not checked again).
    Never raises: whatever comes in, the answer explains it."""
    try:
        graph = doc if isinstance(doc, Graph) else check_document(doc, limits)
    except GraphInvalid as exc:
        return invalid(node_ids(doc), exc.errors)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError from absurd nesting
        return invalid({}, [GraphError(None, None, f"the design could not be read ({type(exc).__name__})")])
    infos, errors = infer_graph(graph, limits)
    if errors:
        return invalid([node.id for node in graph.nodes], errors, infos)
    return valid(graph, infos)


def valid(graph: Graph, infos: dict[str, NodeInfo]) -> dict:
    params = sum(info.params for info in infos.values())
    shapes = [list(infos[name].shape) for name in graph.outputs]
    return {
        "valid": True,
        "params": params,
        "trainable_params": params,  # every block's parameters train; BatchNorm's running statistics are buffers
        "flops": sum(info.flops for info in infos.values()),
        "input_shapes": {name: list(infos[name].shape) for name in graph.inputs},
        "output_shape": shapes[0] if len(shapes) == 1 else shapes,
        "nodes": {node.id: entry(infos[node.id]) for node in graph.nodes},
        "errors": [],
        "warnings": [w.as_dict() for w in check_warnings(graph, infos)],
    }


def invalid(ids, errors: list[GraphError], infos: dict[str, NodeInfo] | None = None) -> dict:
    infos = infos or {}
    return {"valid": False, "params": None, "trainable_params": None, "flops": None, "input_shapes": {},
            "output_shape": None, "nodes": {i: entry(infos.get(i)) for i in ids},
            "errors": [e.as_dict() for e in errors], "warnings": []}


def entry(info: NodeInfo | None) -> dict:
    if info is None:
        return {"output_shape": None, "params": None, "flops": None, "dtype": None}
    return {"output_shape": list(info.shape), "params": info.params, "flops": info.flops, "dtype": info.dtype}


def node_ids(doc: object) -> list[str]:
    """The ids an invalid document names, so the editor can still show every node."""
    nodes = doc.get("nodes") if isinstance(doc, dict) else None
    if not isinstance(nodes, list):
        return []
    ids = [n.get("id") for n in nodes[:10_000] if isinstance(n, dict)]
    return [i for i in ids if isinstance(i, str) and len(i) <= 64]


# ---- warnings: designs that compile but are probably not what the student meant ----

def check_warnings(graph: Graph, infos: dict[str, NodeInfo]) -> list[GraphError]:
    readers: dict[str, list[str]] = {node.id: [] for node in graph.nodes}
    for node in graph.nodes:
        for name in node.inputs:
            readers[name].append(node.id)
    found = []
    for check in (softmax_at_end, dropout_at_end):
        found += [w for name in graph.outputs if (w := check(graph, name))]
    for node in graph.nodes:
        for check in (linear_on_image, stacked_linear, shrunk_to_one, dropout_before_norm):
            warning = check(graph, node, infos, readers)
            if warning:
                found.append(warning)
    return found + unused(graph) + heavy_layers(graph, infos)


def softmax_at_end(graph: Graph, name: str) -> GraphError | None:
    node = graph.by_id[name]
    if node.type == "Softmax" or node.params.get("activation") == "softmax":
        return GraphError(name, "activation" if node.type != "Softmax" else None,
                          f"{name}: the model ends in a softmax, but a cross-entropy loss applies its own; "
                          "for classification output raw scores (logits) instead")
    return None


def dropout_at_end(graph: Graph, name: str) -> GraphError | None:
    if graph.by_id[name].type == "Dropout":
        return GraphError(name, None, f"{name}: Dropout right at the output zeroes some predictions while training; "
                                      "put it before the last layer instead")
    return None


def linear_on_image(graph, node, infos, readers) -> GraphError | None:
    shape = infos[node.inputs[0]].shape if node.inputs else ()
    if node.type == "Linear" and len(shape) >= 3:
        return GraphError(node.id, None, f"{node.id}: Linear acts only on the last dim of its {list(shape)} input, "
                                         "one row at a time; add a Flatten before it if it should see the whole image")
    return None


def stacked_linear(graph, node, infos, readers) -> GraphError | None:
    if node.type not in AFFINE:
        return None
    previous = graph.by_id[node.inputs[0]]
    while previous.type in PASS_THROUGH:
        previous = graph.by_id[previous.inputs[0]]
    if previous.type in AFFINE and previous.params["activation"] is None:
        return GraphError(previous.id, "activation",
                          f"{previous.id}: has no activation before {node.id}, so the two layers collapse into one "
                          "linear map; give it an activation such as relu")
    return None


def shrunk_to_one(graph, node, infos, readers) -> GraphError | None:
    spatial = infos[node.id].shape[1:]
    if node.type not in SPATIAL or 1 not in spatial:
        return None
    later = [graph.by_id[r] for r in readers[node.id] if graph.by_id[r].type in SPATIAL]
    if any(r.params["kernel_size"] not in (1, (1, 1)) for r in later):
        return GraphError(node.id, None, f"{node.id}: shrinks its input to {fmt_sizes(spatial, 0)} while later layers "
                                         "still slide windows over it; pool or stride less, or start from a bigger input")
    return None


def dropout_before_norm(graph, node, infos, readers) -> GraphError | None:
    if node.type.startswith("BatchNorm") and graph.by_id[node.inputs[0]].type == "Dropout":
        return GraphError(node.id, None, f"{node.id}: reads straight from Dropout {node.inputs[0]}, so its statistics "
                                         "differ between training and evaluation; put the Dropout after the BatchNorm")
    return None


def unused(graph: Graph) -> list[GraphError]:
    reached, todo = set(), list(graph.outputs)
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += graph.by_id[name].inputs
    return [GraphError(node.id, None, f"{node.id}: leads to no output, so it has no effect on the model")
            for node in graph.nodes if node.id not in reached]


def heavy_layers(graph: Graph, infos: dict[str, NodeInfo]) -> list[GraphError]:
    total = sum(info.params for info in infos.values())
    return [GraphError(node.id, None, f"{node.id}: holds {infos[node.id].params:,} of the model's {total:,} parameters; "
                                      "pooling or a smaller layer before it would shrink it a lot")
            for node in graph.nodes if infos[node.id].params > max(1_000_000, total // 2)]
