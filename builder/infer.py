"""Shape, dtype, parameter and FLOP inference: each node's module is built and run on the meta device.

PyTorch computes every shape, so no formula is written here; this module only turns torch's
complaints into sentences a student can act on. Results are cached per (type, params, input
shapes, dtypes), because the editor asks again after every edit and most nodes do not change.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from .blocks import BLOCKS, BlockSpec, Shape, fmt
from .document import Graph, Limits
from .errors import GraphError

META = torch.device("meta")
DTYPES = {"float32": torch.float32, "int64": torch.int64}


@dataclass(frozen=True)
class NodeInfo:
    shape: Shape  # per sample
    dtype: str
    params: int
    flops: int  # one sample's forward, as FlopCounterMode counts it


@dataclass(frozen=True)
class Problem:
    param: str | None
    message: str  # without the node id, so it can be cached


def infer_graph(graph: Graph, limits: Limits = Limits()) -> tuple[dict[str, NodeInfo], list[GraphError]]:
    """Each node's NodeInfo, and the problems found, in topological order.

    A node whose inputs failed is skipped rather than reported again: the first node where a
    problem shows is the one to fix.
    """
    infos: dict[str, NodeInfo] = {}
    errors: list[GraphError] = []
    total, over = 0, False
    for node in graph.nodes:
        if not all(name in infos for name in node.inputs):
            continue
        ins = [infos[name] for name in node.inputs]
        result = infer_node(node.type, tuple(sorted(node.params.items())),
                            tuple(i.shape for i in ins), tuple(i.dtype for i in ins))
        if isinstance(result, Problem):
            errors.append(GraphError(node.id, result.param, f"{node.id}: {result.message}"))
            continue
        if math.prod(result.shape) > limits.max_elements:
            errors.append(GraphError(node.id, "shape" if node.type == "Input" else None,
                                     f"{node.id}: its output {fmt(result.shape)} holds {math.prod(result.shape):,} values per sample, "
                                     f"more than the limit of {limits.max_elements:,}; make it smaller"))
            continue
        infos[node.id] = result
        total += result.params
        if total > limits.max_params and not over:
            over = True
            errors.append(GraphError(node.id, None, f"{node.id}: its {result.params:,} parameters bring the design to {total:,}, "
                                                    f"over the limit of {limits.max_params:,}; use fewer units or channels, "
                                                    "or shrink its input (e.g. pool before Flatten)"))
    return infos, errors


@lru_cache(maxsize=8192)
def infer_node(type_: str, params: tuple, shapes: tuple[Shape, ...], dtypes: tuple[str, ...]) -> NodeInfo | Problem:
    spec, p = BLOCKS[type_], dict(params)
    if spec.arity == 0:
        return NodeInfo(tuple(p["shape"]), p["dtype"], 0, 0)
    problem = check_inputs(spec, shapes, dtypes) or (spec.check and spec.check(p, list(shapes)))
    if problem:
        return Problem(*problem)
    try:
        return run_on_meta(spec, p, shapes, dtypes)
    except Exception as exc:  # noqa: BLE001 - any torch complaint about a design becomes a message
        return explain(spec, p, shapes, exc)


def run_on_meta(spec: BlockSpec, p: dict, shapes: tuple[Shape, ...], dtypes: tuple[str, ...]) -> NodeInfo:
    # Nothing here is differentiated; without autograd, building a module and the counter's backward
    # hooks cost about a third less (the rest is torch's meta kernels, BatchNorm's above all).
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # e.g. RNN dropout with one layer: harmless, and not the student's concern here
        module = spec.build(p, list(shapes), device=META)
        if module is not None:
            module.eval()  # one sample, so BatchNorm must use its running statistics
        xs = [torch.empty((1, *s), dtype=DTYPES[d], device=META) for s, d in zip(shapes, dtypes)]
        if spec.flops:
            with FlopCounterMode(display=False) as counter:
                out = spec.forward(module, xs, p)
            flops = counter.get_total_flops()
        else:
            # The counter's Python dispatch would cost more than the rest of inference for blocks it
            # finds nothing in; test_it_counts_flops_as_flop_counter_mode checks every block's flag.
            out, flops = spec.forward(module, xs, p), 0
    params = sum(w.numel() for w in module.parameters()) if module is not None else 0
    dtype = "int64" if out.dtype == torch.int64 else "float32"
    return NodeInfo(tuple(out.shape[1:]), dtype, params, flops)


def check_inputs(spec: BlockSpec, shapes: tuple[Shape, ...], dtypes: tuple[str, ...]) -> tuple[None, str] | None:
    shape, rank = shapes[0], len(shapes[0])
    if spec.ranks and rank not in spec.ranks:
        need = min(spec.ranks) if rank < min(spec.ranks) else max(spec.ranks)
        if rank < need:
            missing = [1] * (need - rank)
            example = list(shape) + missing if spec.layout.startswith("[T") else missing + list(shape)
        else:
            example = list(shape[:need - 1]) + [math.prod(shape[need - 1:])]
        tool = "Flatten" if need == 1 else "Reshape"
        return None, (f"{spec.type} needs a {spec.layout} input but receives {fmt(shape)}, which has {rank} "
                      f"dim{'s' if rank > 1 else ''}; add a {tool} before it (e.g. to {example})")
    if spec.takes == "float" and "int64" in dtypes:
        return None, (f"{spec.type} works on float values but receives int64 token ids; "
                      "put an Embedding first to turn each id into a vector")
    if spec.takes == "int64" and dtypes[0] != "int64":
        return None, (f"{spec.type} looks up int64 token ids but receives float values; "
                      'feed it an Input with dtype "int64" (or remove the Embedding for numeric data)')
    return None


def explain(spec: BlockSpec, p: dict, shapes: tuple[Shape, ...], exc: Exception) -> Problem:
    """Torch's message about a node, as a sentence that says what to change."""
    text, shape = str(exc), shapes[0]
    if "Kernel size can't be greater" in text or "Output size is too small" in text:
        word = "window" if "Pool" in spec.type else "kernel"
        return Problem("kernel_size", f"its {sizes(p['kernel_size'], len(shape) - 1)} {word} is larger than its "
                                      f"{sizes(shape[1:], 0)} input; add padding or use a smaller {word}")
    if "pad should be" in text:
        return Problem("padding", f"padding {p['padding']} is more than half its {sizes(p['kernel_size'], len(shape) - 1)} window; "
                                  "use less padding or a bigger window")
    if "padding='same'" in text:
        return Problem("padding", 'padding "same" only works with stride 1; give a number instead, or set stride to 1')
    if "divisible by groups" in text:
        return Problem("groups", f"its {shape[0]} input channels and {p['out_channels']} output channels must both "
                                 f"divide by groups ({p['groups']})")
    if "multiply up" in text or "is invalid for input of size" in text:
        return Problem("shape", f"cannot hold the {math.prod(shape):,} values of its {fmt(shape)} input as "
                                f"{list(p['shape'])}; the sizes must multiply to {math.prod(shape):,}")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return Problem(None, f"{spec.type} cannot take its {fmt(shape)} input ({first})")


def sizes(value, n: int) -> str:
    """5 or (5, 3) as "5×5" or "5×3": how a student reads a kernel or image size."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * max(n, 1)
    return "×".join(str(v) for v in values)
