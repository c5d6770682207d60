"""A design as a torch.fx.GraphModule: one submodule per weighted node, named by its id.

The nodes are walked in topological order; each block's `forward` runs on fx proxies, so the
compiled graph is made of exactly the torch calls that shape inference ran on the meta device.
"""
from __future__ import annotations

import re

import torch
from torch import fx
from torch.fx.proxy import GraphAppendingTracer, Proxy

from .blocks import BLOCKS
from .document import Graph, Limits, check_document
from .errors import GraphInvalid
from .infer import NodeInfo, infer_graph


def compile_graph(doc_or_graph: dict | Graph, limits: Limits = Limits()) -> fx.GraphModule:
    """The model of a design, with fresh weights; raises GraphInvalid before allocating anything."""
    graph = doc_or_graph if isinstance(doc_or_graph, Graph) else check_document(doc_or_graph, limits)
    infos, errors = infer_graph(graph, limits)
    if errors:
        raise GraphInvalid(errors)
    traced, owners, finals, modules = trace(graph, infos)
    renamed = named(traced, owners, finals, infos, modules)
    module = fx.GraphModule(modules, renamed, class_name=class_name(graph.name))
    module.eval()  # like any torch model fresh from export: outputs are reproducible until training says otherwise
    return module


def trace(graph: Graph, infos: dict[str, NodeInfo]):
    """The fx graph; the design node each fx node belongs to; the fx node holding each design node's value;
    the submodules by id."""
    out = fx.Graph()
    tracer = GraphAppendingTracer(out)
    values: dict[str, Proxy] = {}
    modules: dict[str, torch.nn.Module] = {}
    owners: dict[fx.Node, str] = {}
    finals: dict[fx.Node, str] = {}
    # Placeholders first, in document order: that is the order forward takes its inputs.
    for name in graph.inputs:
        values[name] = Proxy(out.placeholder(name), tracer)
        owners[values[name].node] = finals[values[name].node] = name
    for node in graph.nodes:
        if node.id in values:
            continue
        spec = BLOCKS[node.type]
        module = spec.build(node.params, [infos[i].shape for i in node.inputs])
        if module is not None:
            modules[node.id] = module
        call = caller(out, tracer, node.id) if module is not None else None
        values[node.id] = spec.forward(call, [values[i] for i in node.inputs], node.params)
        for fx_node in reversed(out.nodes):
            if fx_node in owners:
                break
            owners[fx_node] = node.id
        finals.setdefault(values[node.id].node, node.id)
    results = [values[name].node for name in graph.outputs]
    out.output(results[0] if len(results) == 1 else tuple(results))
    return out, owners, finals, modules


def caller(out: fx.Graph, tracer: GraphAppendingTracer, target: str):
    def call(*args: Proxy) -> Proxy:
        return Proxy(out.call_module(target, tuple(a.node for a in args)), tracer)
    return call


def named(traced: fx.Graph, owners: dict, finals: dict, infos: dict[str, NodeInfo], modules: dict) -> fx.Graph:
    """A copy that reads like hand-written code: each design node's value is named by its id and the steps
    before it `<id>_<op>`. Named values keep their per-sample shape for the exported comments."""
    result, env = fx.Graph(), {}
    for fx_node in traced.nodes:
        if fx_node in finals:
            name = finals[fx_node]
        elif fx_node in owners:
            op = type(modules[fx_node.target]).__name__ if fx_node.op == "call_module" else fx_node.name
            name = f"{owners[fx_node]}_{re.sub(r'_[0-9]+$', '', op).lower()}"
        else:
            name = fx_node.name
        new = result.create_node(fx_node.op, fx_node.target, fx.map_arg(fx_node.args, env.__getitem__),
                                 fx.map_arg(fx_node.kwargs, env.__getitem__), name=name)
        if fx_node in finals:
            new.meta["shape"] = infos[finals[fx_node]].shape
            new.meta["block"] = finals[fx_node]  # the design node whose value this is (X-ray reads it)
        env[fx_node] = new
    return result


def class_name(name: str) -> str:
    """"seed-cnn" -> "SeedCnn": the design's name as a Python class name."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    result = "".join(w[:1].upper() + w[1:] for w in words)
    return result if result[:1].isalpha() else "Net" + result
