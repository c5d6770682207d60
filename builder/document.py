"""Reading a layerlab.graph/1 document: structure, ids, parameters and wiring (no shapes yet)."""
from __future__ import annotations

import heapq
import keyword
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .blocks import BLOCKS, BlockSpec, Param
from .errors import GraphError, GraphInvalid

FORMAT = "layerlab.graph/1"


@dataclass(frozen=True)
class Limits:
    max_nodes: int = 500
    max_params: int = 50_000_000
    max_elements: int = 1 << 24  # values in one sample's tensor at any node, so nothing huge is ever allocated
    max_epochs: int = 500  # of a training run (LAYERLAB_MAX_EPOCHS): the server's limits travel together


@dataclass
class Node:
    id: str
    type: str
    inputs: list[str]
    params: dict  # every parameter, defaults filled in, lists as tuples
    ui: Any = None


@dataclass
class Graph:
    name: str
    nodes: list[Node]  # topological order
    outputs: list[str]
    inputs: list[str]  # Input ids in document order
    by_id: dict[str, Node] = field(init=False, repr=False)

    def __post_init__(self):
        self.by_id = {node.id: node for node in self.nodes}


def check_document(doc: object, limits: Limits = Limits()) -> Graph:
    """The document as a Graph, or GraphInvalid naming every problem found."""
    if not isinstance(doc, dict):
        raise GraphInvalid([GraphError(None, None, f'a design must be a JSON object in the "{FORMAT}" format')])
    raw_nodes = doc.get("nodes")
    # Checked before anything is built, so an enormous document costs nothing.
    if isinstance(raw_nodes, list) and len(raw_nodes) > limits.max_nodes:
        raise GraphInvalid([GraphError(None, "nodes", f"the design has {len(raw_nodes)} nodes, more than the limit of {limits.max_nodes}")])
    errors = check_header(doc)
    if not isinstance(raw_nodes, list):
        raise GraphInvalid(errors + [GraphError(None, "nodes", '"nodes" must be a list of nodes')])
    nodes = [node for node in (read_node(i, raw, errors) for i, raw in enumerate(raw_nodes)) if node]
    if errors:
        raise GraphInvalid(errors)
    check_wiring(nodes, errors)
    if errors:
        raise GraphInvalid(errors)
    ordered = topological(nodes)
    outputs = read_outputs(doc, nodes, errors)
    if errors:
        raise GraphInvalid(errors)
    return Graph(doc["name"], ordered, outputs, [n.id for n in nodes if n.type == "Input"])


def check_header(doc: dict) -> list[GraphError]:
    errors = []
    if doc.get("format") != FORMAT:
        errors.append(GraphError(None, "format", f'"format" must be "{FORMAT}"'))
    name = doc.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        errors.append(GraphError(None, "name", "the design needs a name of 1 to 100 characters"))
    return errors


def read_node(index: int, raw: object, errors: list[GraphError]) -> Node | None:
    where = f"node {index + 1}"
    if not isinstance(raw, dict):
        errors.append(GraphError(None, None, f"{where} must be an object with an id and a type"))
        return None
    node_id = raw.get("id")
    problem = check_id(node_id)
    if problem:
        errors.append(GraphError(None, "id", f"{where}: {problem}"))
        return None
    spec = BLOCKS.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    if spec is None:
        errors.append(GraphError(node_id, "type", f"{node_id}: unknown block type {short(raw.get('type'))}; "
                                                  f"use one of {', '.join(BLOCKS)}"))
        return None
    if spec.module is not None and node_id in reserved_names():
        # Only a block with weights or state becomes an attribute of the module (self.<id>).
        errors.append(GraphError(node_id, "id", f"{node_id}: a {spec.type} is stored on the model as "
                                                f"self.{node_id}, which every torch module already has; pick another id"))
        return None
    inputs = raw.get("inputs", [])
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        errors.append(GraphError(node_id, "inputs", f"{node_id}: inputs must be a list of node ids"))
        return None
    params = read_params(node_id, spec, raw.get("params", {}), errors)
    return Node(node_id, spec.type, list(inputs), params, raw.get("ui")) if params is not None else None


@cache
def reserved_names() -> frozenset[str]:
    """Names a node's module cannot take: they already mean something on a torch module."""
    from torch import fx, nn

    return frozenset(dir(fx.GraphModule(nn.Module(), fx.Graph())))


ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_id(node_id: object) -> str | None:
    if isinstance(node_id, str) and node_id.isidentifier() and not node_id.isascii():
        # Python folds some letters together (NFKC: a full-width "ｌｉｎ" is "lin"), so two ids that look
        # different could name one attribute; plain ASCII names cannot.
        odd = next(c for c in node_id if not c.isascii())
        return (f"id {short(node_id)} has the letter {odd!r}, which is not plain ASCII; ids are ASCII names like "
                "conv1: letters a-z and A-Z, digits and _")
    if not isinstance(node_id, str) or not ID.fullmatch(node_id) or keyword.iskeyword(node_id):
        return f"id {short(node_id)} must be a name like conv1: letters, digits and _, not starting with a digit, not a Python keyword"
    if len(node_id) > 64:
        return f"id {short(node_id)} is longer than 64 characters"
    if node_id == "self":
        return "id 'self' is the model itself in the generated forward(self, ...); pick another"
    return None


def read_params(node_id: str, spec: BlockSpec, raw: object, errors: list[GraphError]) -> dict | None:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.append(GraphError(node_id, "params", f"{node_id}: params must be an object"))
        return None
    known = {param.name: param for param in spec.params}
    before = len(errors)
    for name in raw:
        if name not in known:
            choices = ", ".join(known) or "none"
            errors.append(GraphError(node_id, str(name), f"{node_id}: {spec.type} has no parameter {short(name)} (it takes: {choices})"))
    params = {}
    for name, param in known.items():
        if name not in raw:
            if param.required:
                errors.append(GraphError(node_id, name, f"{node_id}: {spec.type} needs {name} ({param.help})"))
            params[name] = None if param.required else param.default
            continue
        value, problem = check_value(param, raw[name])
        if problem:
            errors.append(GraphError(node_id, name, f"{node_id}: {name} {problem}, not {short(raw[name])}"))
        params[name] = value
    return params if len(errors) == before else None


def check_value(param: Param, value: object) -> tuple[object, str | None]:
    """The value in canonical form (lists as tuples), and what is wrong with it if anything."""
    if value is None:
        return None, None if param.nullable else "must be given"
    kind = param.kind
    if kind == "bool":
        return value, None if isinstance(value, bool) else "must be true or false"
    if kind == "choice":
        ok = isinstance(value, str) and value in param.choices
        return value, None if ok else "must be one of " + ", ".join(str(c).replace("None", "null") for c in param.choices)
    if kind == "float":
        return check_float(param, value)
    if kind in ("padding", "padding-pair") and value == "same":
        return value, None
    if kind in ("int", "padding"):
        same = ' or "same"' if kind == "padding" else ""
        return value, None if in_range(param, value) else f"must be a whole number from {num(param.min)} to {num(param.max)}{same}"
    if kind in ("int-or-pair", "padding-pair"):
        return check_int_or_pair(param, value)
    return check_list(param, value)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def in_range(param: Param, value: object) -> bool:
    return is_int(value) and param.min <= value <= param.max


def check_float(param: Param, value: object) -> tuple[object, str | None]:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
          and param.min <= value and (value < param.max if param.open_max else value <= param.max))
    upper = f"below {num(param.max)}" if param.open_max else f"at most {num(param.max)}"
    return (float(value) if ok else value), None if ok else f"must be a number from {num(param.min)}, {upper}"


def check_int_or_pair(param: Param, value: object) -> tuple[object, str | None]:
    if in_range(param, value):
        return value, None
    if isinstance(value, list) and len(value) == 2 and all(in_range(param, v) for v in value):
        return tuple(value), None
    same = ' or "same"' if param.kind == "padding-pair" else ""
    return value, f"must be a whole number from {num(param.min)} to {num(param.max)}, or a pair [h, w] of them{same}"


def check_list(param: Param, value: object) -> tuple[object, str | None]:
    """shape (positive sizes), reshape (positive sizes, one may be -1) and dims (indices)."""
    what = {"shape": "sizes of at least 1", "reshape": "sizes of at least 1 (one may be -1)", "dims": "dim indices"}[param.kind]
    problem = f"must be a list of 1 to 4 {what}"
    if not isinstance(value, list) or not 1 <= len(value) <= 4 or not all(is_int(v) for v in value):
        return value, problem
    wild = value.count(-1) if param.kind == "reshape" else 0
    if wild > 1 or not all(param.min <= v <= param.max for v in value if not (wild and v == -1)):
        return value, problem
    return tuple(value), None


def check_wiring(nodes: list[Node], errors: list[GraphError]) -> None:
    seen = set()
    for node in nodes:
        if node.id in seen:
            errors.append(GraphError(node.id, "id", f"{node.id}: two nodes have this id; ids must be unique"))
        seen.add(node.id)
    for node in nodes:
        for name in node.inputs:
            if name not in seen:
                errors.append(GraphError(node.id, "inputs", f"{node.id}: its input {short(name)} names no node"))
        check_arity(node, errors)
    if not any(node.type == "Input" for node in nodes):
        errors.append(GraphError(None, None, "the design has no Input node; add one to say what the model reads"))
    if not errors:
        cycle = find_cycle(nodes)
        if cycle:
            first = min(cycle, key=[n.id for n in nodes].index)
            cycle = cycle[cycle.index(first):] + cycle[:cycle.index(first)]
            errors.append(GraphError(first, "inputs", f"{first}: {' → '.join(cycle + cycle[:1])} form a loop; "
                                                      "data must flow one way, so remove one of these connections"))


def check_arity(node: Node, errors: list[GraphError]) -> None:
    arity, got = BLOCKS[node.type].arity, len(node.inputs)
    if arity == 0 and got:
        errors.append(GraphError(node.id, "inputs", f"{node.id}: an Input reads no other node, but it lists {got}"))
    elif arity == 1 and got != 1:
        errors.append(GraphError(node.id, "inputs", f"{node.id}: {node.type} takes exactly one input, but it has {got}"))
    elif arity == 2 and got < 2:
        errors.append(GraphError(node.id, "inputs", f"{node.id}: {node.type} joins two or more inputs, but it has {got}"))


def topological(nodes: list[Node]) -> list[Node]:
    """Kahn's algorithm; ties go to document order so the result is stable. Assumes no cycle."""
    index = {node.id: i for i, node in enumerate(nodes)}
    waiting = {node.id: len(set(node.inputs)) for node in nodes}
    readers: dict[str, list[str]] = {node.id: [] for node in nodes}
    for node in nodes:
        for name in set(node.inputs):
            readers[name].append(node.id)
    ready = [index[node.id] for node in nodes if waiting[node.id] == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        ordered.append(node)
        for reader in readers[node.id]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, index[reader])
    return ordered


def find_cycle(nodes: list[Node]) -> list[str] | None:
    placed = {node.id for node in topological(nodes)}
    if len(placed) == len(nodes):
        return None
    by_id = {node.id: node for node in nodes}
    # Every unplaced node reads an unplaced node, so walking back through them must come round.
    path, current = [], next(node.id for node in nodes if node.id not in placed)
    while current not in path:
        path.append(current)
        current = next(name for name in by_id[current].inputs if name not in placed)
    return list(reversed(path[path.index(current):]))


def read_outputs(doc: dict, nodes: list[Node], errors: list[GraphError]) -> list[str]:
    ids = [node.id for node in nodes]
    if "outputs" not in doc or doc["outputs"] is None:
        read = {name for node in nodes for name in node.inputs}
        ends = [i for i in ids if i not in read]
        if len(ends) != 1:
            errors.append(GraphError(None, "outputs", f"the design has {len(ends)} ends ({', '.join(ends)}); "
                                                      'list the ones the model returns in "outputs"'))
        return ends
    outputs = doc["outputs"]
    if not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs):
        errors.append(GraphError(None, "outputs", '"outputs" must be a non-empty list of node ids'))
        return []
    for name in outputs:
        if name not in ids:
            errors.append(GraphError(None, "outputs", f"the output {short(name)} names no node"))
    if len(set(outputs)) < len(outputs):
        errors.append(GraphError(None, "outputs", '"outputs" lists a node twice'))
    return list(outputs)


def ends_in_softmax(graph: Graph) -> bool:
    """Whether an output already is a probability, so cross-entropy must not apply softmax again."""
    for name in graph.outputs:
        node = graph.by_id[name]
        if node.type == "Softmax" or node.params.get("activation") == "softmax":
            return True
    return False


def num(x: float) -> str:
    """1e-12 stays 1e-12, but 16777216 is not shown as 1.67772e+07."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def short(value: object) -> str:
    """A value quoted for a message, cut short: documents can hold anything."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails must not turn a message into a crash
        text = "?"
    return text if len(text) <= 40 else text[:37] + "..."
