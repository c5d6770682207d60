"""Keras `model.to_json()` (Keras 2 and 3; Sequential and Functional) as a design. JSON only: nothing is
unpickled or executed, and Keras is not needed.

Keras is channels-last, LayerLab channels-first. Every tensor is tracked with its layout: `perm[i]` is
the Keras axis that LayerLab's per-sample dim i holds. A layer that needs another layout gets a Permute
in front of it, so the design computes what the Keras model computes, except after Flatten (see
`keras_layers.flatten`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..blocks import BLOCKS, REQUIRED
from .base import Ids, Imported, ImportLimits, ImportRefused, checked
from .keras_layers import HANDLERS, SUPPORTED, Tensor, cf, ident

MODELS = ("Sequential", "Functional", "Model")
CHANNELS_FIRST_READERS = ("Conv1D", "Convolution1D", "MaxPooling1D", "MaxPool1D", "AveragePooling1D", "AvgPool1D",
                          "GlobalAveragePooling1D", "GlobalAvgPool1D")


@dataclass
class Layer:
    cls: str
    name: str
    config: dict
    inputs: list[str]
    build: dict | None = None  # Keras 3's build_config


@dataclass
class Converter:
    """Builds the design node by node; handlers in keras_layers call `add`, `to_layout` and `note`."""
    ids: Ids = field(default_factory=Ids)
    nodes: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)
    counts: list = field(default_factory=list)  # (report entry, main node id, formula(in_shape) -> Keras params)
    current: dict | None = None  # the report entry of the layer being converted

    def start(self, layer: "Layer") -> dict:
        self.current = {"name": layer.name, "class": layer.cls, "blocks": []}
        self.layers.append(self.current)
        return self.current

    def count(self, main: str, formula, why: str = "") -> None:
        self.counts.append((self.current, main, formula))
        if why:
            self.current["why"] = why

    def add(self, type_: str, inputs: list[str], params: dict | None = None, name: object = None, fallback: str = "") -> str:
        node_id = self.ids.make(name, fallback or type_.lower())
        node = {"id": node_id, "type": type_}
        if inputs:
            node["inputs"] = list(inputs)
        # Parameters at the catalogue's default are left out, as a person would write the design.
        defaults = {p.name: p.default for p in BLOCKS[type_].params}
        params = {k: v for k, v in (params or {}).items() if defaults.get(k, REQUIRED) != v}
        if params:
            node["params"] = params
        self.nodes.append(node)
        if self.current is not None:
            self.current["blocks"].append(node_id)
        return node_id

    def to_layout(self, t: Tensor, want: tuple[int, ...], layer: str) -> Tensor:
        if t.perm == want:
            return t
        dims = [t.perm.index(axis) for axis in want]
        return Tensor(self.add("Permute", [t.node], {"dims": dims}, f"{layer}_permute"), want)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def import_keras(doc: object, limits: ImportLimits) -> Imported:
    if not isinstance(doc, dict) or doc.get("class_name") not in MODELS or not isinstance(doc.get("config"), dict):
        raise ImportRefused("the JSON is neither a LayerLab design nor a Keras model (model.to_json() of a "
                            "Sequential or Functional model)")
    keras3 = "module" in doc or "registered_name" in doc
    kind = "Sequential" if doc["class_name"] == "Sequential" else "Functional"
    config = doc["config"]
    raw_layers = config.get("layers")
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ImportRefused('the Keras model has no "layers" list')
    if len(raw_layers) > limits.graph.max_nodes:
        raise ImportRefused(f"the Keras model has {len(raw_layers)} layers, more than the limit of {limits.graph.max_nodes}")
    layers = [read_layer(raw, i, kind) for i, raw in enumerate(raw_layers)]
    c = Converter()
    tensors: dict[str, Tensor] = {}
    if kind == "Sequential":
        layers = sequential_inputs(layers, config)
    consumers = {name: [l.cls for l in layers if name in l.inputs] for name in {n for l in layers for n in l.inputs}}
    for layer in layers:
        if layer.cls == "InputLayer":
            tensors[layer.name] = add_input(c, layer, consumers.get(layer.name, []))
            continue
        merging = layer.cls in ("Add", "Concatenate")
        if not layer.inputs or (len(layer.inputs) > 1 and not merging):
            raise ImportRefused(f"layer {layer.name!r} ({layer.cls}) reads {len(layer.inputs)} tensors; "
                                f"it takes {'two or more' if merging else 'exactly one'}")
        missing = [n for n in layer.inputs if n not in tensors]
        if missing:
            raise ImportRefused(f"layer {layer.name!r} reads {missing[0]!r}, which is not an earlier layer of the model")
        c.start(layer)
        tensors[layer.name] = HANDLERS[layer.cls](c, layer, [tensors[n] for n in layer.inputs])
    outputs = [layers[-1].name] if kind == "Sequential" else output_names(config)
    for name in outputs:
        if name not in tensors:
            raise ImportRefused(f"the model's output {name!r} is not one of its layers")
    name = config.get("name") if isinstance(config.get("name"), str) and 1 <= len(config.get("name")) <= 100 else "keras-model"
    document = {"format": "layerlab.graph/1", "name": name, "nodes": c.nodes,
                "outputs": [tensors[n].node for n in outputs]}
    summary = checked(document, limits, "Keras model")
    return Imported(document, report(c, summary, f"Keras {3 if keras3 else 2} {kind}"))


def read_layer(raw: object, index: int, kind: str) -> Layer:
    if not isinstance(raw, dict) or not isinstance(raw.get("config"), dict):
        raise ImportRefused(f"layer {index + 1} of the Keras model is not an object with a class_name and a config")
    cls, cfg = raw.get("class_name"), raw["config"]
    cls = cls if isinstance(cls, str) else repr(cls)[:40]
    name = raw.get("name", cfg.get("name"))
    name = name if isinstance(name, str) and name else f"layer{index + 1}"
    if cls in MODELS:
        raise ImportRefused(f"layer {name!r} is a nested {cls} model; LayerLab imports one flat model (rebuild it without nesting)")
    if cls not in HANDLERS and cls != "InputLayer":
        raise ImportRefused(f"layer {name!r} is a {str(cls)[:40]}, which LayerLab cannot import; it imports {SUPPORTED}")
    inputs = inbound(raw, name) if kind == "Functional" else []
    build = raw.get("build_config") if isinstance(raw.get("build_config"), dict) else None
    return Layer(cls, name, cfg, inputs, build)


def inbound(raw: dict, name: str) -> list[str]:
    """The layer names a Functional layer reads: Keras 2 [[[name, node, tensor, kwargs]]] or Keras 3
    [{"args": [... {"class_name": "__keras_tensor__", "config": {"keras_history": [name, node, tensor]}}]}]."""
    nodes = raw.get("inbound_nodes", [])
    if not isinstance(nodes, list):
        raise ImportRefused(f"layer {name!r} has inbound_nodes that are not a list")
    if len(nodes) > 1:
        raise ImportRefused(f"layer {name!r} is called {len(nodes)} times (a shared layer); LayerLab blocks are called once")
    if not nodes:
        return []
    histories = []
    if isinstance(nodes[0], dict):
        collect(nodes[0].get("args", []), histories, 0)
    elif isinstance(nodes[0], list):
        histories = nodes[0]
    result = []
    for h in histories:
        if not (isinstance(h, list) and len(h) >= 3 and isinstance(h[0], str)):
            raise ImportRefused(f"layer {name!r} has an inbound node that is not [layer, node, tensor]")
        if h[2] != 0:
            raise ImportRefused(f"layer {name!r} reads output {h[2]} of {h[0]!r}; LayerLab blocks have one output")
        result.append(h[0])
    return result


def collect(value: object, out: list, depth: int) -> None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        config = value.get("config")
        out.append(config.get("keras_history") if isinstance(config, dict) else None)
    elif isinstance(value, list) and depth < 8:
        for item in value:
            collect(item, out, depth + 1)


def sequential_inputs(layers: list[Layer], config: dict) -> list[Layer]:
    """Chain a Sequential model, starting from its InputLayer or the input shape its first layer records."""
    if layers[0].cls != "InputLayer":
        first = layers[0]
        shape = (first.config.get("batch_input_shape") or (first.build or {}).get("input_shape")
                 or config.get("build_input_shape"))
        if shape is None:
            raise ImportRefused("the Sequential model does not say its input shape (add an Input layer, or build the model, then to_json())")
        layers = [Layer("InputLayer", "input", {"batch_shape": shape, "dtype": first.config.get("dtype")}, [])] + layers
    for before, layer in zip(layers, layers[1:]):
        if layer.cls == "InputLayer":
            raise ImportRefused(f"the Sequential model has a second InputLayer, {layer.name!r}")
        layer.inputs = [before.name]
    return layers


def add_input(c: Converter, layer: Layer, readers: list[str]) -> Tensor:
    cfg = layer.config
    shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
    shape = shape[1:] if isinstance(shape, list) else cfg.get("shape")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 4:
        raise ImportRefused(f"input {layer.name!r} has no per-sample shape of 1 to 4 dims")
    if not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise ImportRefused(f"input {layer.name!r} has shape {shape} with an unknown (None) size; LayerLab needs fixed sizes, "
                            "so give the Input a full shape")
    rank = len(shape)
    perm = cf(rank) if rank == 3 or (rank == 2 and any(r in CHANNELS_FIRST_READERS for r in readers)) else ident(rank)
    dtype = cfg.get("dtype")
    if isinstance(dtype, dict):  # Keras 3's DTypePolicy object
        dtype = dtype.get("config", {}).get("name") if isinstance(dtype.get("config"), dict) else None
    integer = (isinstance(dtype, str) and "int" in dtype) or any(r == "Embedding" for r in readers)
    params = {"shape": [shape[a] for a in perm]}
    if integer:
        params["dtype"] = "int64"
    c.start(layer)
    node = c.add("Input", [], params, layer.name, "input")
    if perm != ident(rank):
        c.note(f"input {layer.name!r} is channels-last {shape} in Keras and channels-first {params['shape']} here")
    return Tensor(node, perm)


def output_names(config: dict) -> list[str]:
    outs = config.get("output_layers")
    if isinstance(outs, list) and len(outs) >= 1 and isinstance(outs[0], str):
        outs = [outs]
    if not isinstance(outs, list) or not outs or not all(isinstance(o, list) and o and isinstance(o[0], str) for o in outs):
        raise ImportRefused('the Functional model has no "output_layers" list')
    return [o[0] for o in outs]


def report(c: Converter, summary: dict, fmt: str) -> dict:
    nodes = summary["nodes"]
    shapes = {n["id"]: n.get("inputs", []) for n in c.nodes}
    keras_total = 0
    for entry, main, formula in c.counts:
        in_shape = tuple(nodes[shapes[main][0]]["output_shape"]) if shapes[main] else ()
        entry["keras_params"] = formula(in_shape)
        entry["params"] = sum(nodes[b]["params"] for b in entry["blocks"])
        keras_total += entry["keras_params"]
        if entry["params"] != entry["keras_params"]:
            c.note(f"{entry['name']} ({entry['class']}) has {entry['params']:,} parameters here and {entry['keras_params']:,} in Keras: "
                   + entry.pop("why", "PyTorch builds the layer differently"))
    for entry in c.layers:
        entry.pop("why", None)
    if c.ids.renamed:
        c.note("renamed to valid ids: " + ", ".join(f"{k!r} → {v}" for k, v in c.ids.renamed.items()))
    return {"source": "keras", "format": fmt, "layers": c.layers, "params": summary["trainable_params"],
            "keras_params": keras_total, "notes": c.notes, "weights": False}
