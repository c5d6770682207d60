"""The walk over an ONNX graph: values, constants, shape bookkeeping, and the design being built."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .base import Ids, ImportRefused

FUSABLE = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}  # plus Elu, LeakyRelu, Softmax under conditions


@dataclass
class Value:
    """A LayerLab tensor: the node that makes it and its per-sample rank."""
    node: str
    rank: int


@dataclass
class Dyn:
    """Shape arithmetic on the batch size; `parts` keeps a Concat's pieces so Reshape can read its target."""
    parts: list | None = None


def external_data(model) -> str | None:
    from onnx import TensorProto

    for t in model.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL or t.external_data:
            return f"initializer {t.name[:60]!r}"
    for node in model.graph.node:
        for a in node.attribute:
            if a.t.data_location == TensorProto.EXTERNAL or a.t.external_data:
                return f"the constant of node {node.name[:60]!r}"
            if a.g.node or a.graphs:
                raise ImportRefused(f"node {node.name[:60]!r} ({node.op_type}) holds a subgraph; LayerLab imports plain graphs")
    return None


def attrs(node) -> dict:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else [x.decode() if isinstance(x, bytes) else x for x in v] if isinstance(v, list) else v
    return out


@dataclass
class Converter:
    graph: object
    ids: Ids = field(default_factory=Ids)
    nodes: list[dict] = field(default_factory=list)
    by_id: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)
    uses: dict = field(default_factory=dict)
    pending_bias: set = field(default_factory=set)  # Linear nodes from MatMul whose Add may still bring a bias

    def run(self) -> None:
        from .onnx_ops import OPS, SUPPORTED, resolve_dyn

        for t in self.graph.initializer:
            self.values[t.name] = to_array(t, f"initializer {t.name[:60]!r}")
        for name in [o.name for o in self.graph.output] + [i for n in self.graph.node for i in n.input]:
            self.uses[name] = self.uses.get(name, 0) + 1
        for inp in self.graph.input:
            if inp.name not in self.values:
                self.add_input(inp)
        for node in self.graph.node:
            ins = [self.get(name, node) if name else None for name in node.input]
            if node.op_type == "Constant":
                self.values[node.output[0]] = constant(node)
            elif node.op_type not in ("Identity", "Gather") and resolve_dyn(self, node, ins):
                continue
            elif node.op_type not in OPS:
                raise ImportRefused(f"operator {node.op_type} (node {node.name[:60]!r}) has no LayerLab block; "
                                    f"the importer maps {SUPPORTED}")
            else:
                OPS[node.op_type](self, node, ins, attrs(node))

    def get(self, name: str, node):
        if name not in self.values:
            raise ImportRefused(f"node {node.name[:60]!r} reads {name[:60]!r}, which nothing before it makes")
        return self.values[name]

    def add_input(self, inp) -> None:
        from onnx import TensorProto

        t = inp.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        if len(dims) < 2 or len(dims) > 5 or not all(isinstance(d, int) and d > 0 for d in dims[1:]):
            raise ImportRefused(f"input {inp.name[:60]!r} has shape {dims}; LayerLab needs a batch dim and 1 to 4 fixed sizes after it")
        kinds = {TensorProto.FLOAT: "float32", TensorProto.INT64: "int64", TensorProto.INT32: "int64"}
        if t.elem_type not in kinds:
            raise ImportRefused(f"input {inp.name[:60]!r} is of ONNX type {t.elem_type}; LayerLab reads float32 values or int64 ids")
        params = {"shape": dims[1:]}
        if kinds[t.elem_type] == "int64":
            params["dtype"] = "int64"
        self.values[inp.name] = Value(self.add("Input", [], params, inp.name, "input", None), len(dims) - 1)

    def add(self, type_: str, inputs: list[str], params: dict | None, name: object, fallback: str, op) -> str:
        node_id = self.ids.make(name, fallback)
        node = {"id": node_id, "type": type_}
        if inputs:
            node["inputs"] = list(inputs)
        if params:
            node["params"] = params
        self.nodes.append(node)
        self.by_id[node_id] = node
        if op is not None:
            self.layers.append({"operator": op.op_type, "name": op.name, "block": node_id})
        return node_id

    def name_for(self, node, weight: str | None = None) -> tuple[object, str]:
        """The source's name for the block: a graph output's name, the module scope ("/conv1/Conv"), a weight's prefix."""
        outputs = {o.name for o in self.graph.output}
        if node.output and node.output[0] in outputs:
            return node.output[0], node.op_type.lower()
        parts = [p for p in node.name.split("/") if p]
        if len(parts) >= 2:
            return parts[-2], node.op_type.lower()
        if weight and "." in weight and not weight.startswith("onnx::"):
            return weight.rsplit(".", 1)[0], node.op_type.lower()
        return None, node.op_type.lower()

    def outputs(self) -> list[str]:
        result = []
        for o in self.graph.output:
            v = self.values.get(o.name)
            if not isinstance(v, Value):
                raise ImportRefused(f"the graph's output {o.name[:60]!r} is not the result of a block")
            result.append(v.node)
        return result

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {k: torch.from_numpy(np.array(v, copy=True)) for k, v in self.weights.items()}


def to_array(t, what: str) -> np.ndarray:
    from onnx import numpy_helper

    try:
        return numpy_helper.to_array(t)
    except (ValueError, TypeError, KeyError):
        raise ImportRefused(f"{what} does not hold the data its shape and type declare") from None


def constant(node) -> np.ndarray:
    a = attrs(node)
    if "value" in a:
        return to_array(a["value"], f"constant node {node.name[:60]!r}")
    for key in ("value_float", "value_int"):
        if key in a:
            return np.array(a[key])
    for key in ("value_floats", "value_ints"):
        if key in a:
            return np.array(a[key])
    raise ImportRefused(f"constant node {node.name[:60]!r} holds a kind of value LayerLab does not read")
