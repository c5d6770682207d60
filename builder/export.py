"""A design as PyTorch source, ONNX or TorchScript; the same weights give the same outputs in each."""
from __future__ import annotations

import inspect
import io
import math
import re
import warnings

import torch
from torch import fx

from .blocks import BLOCKS
from .compile import class_name, compile_graph
from .document import Graph, check_document
from .errors import GraphError, GraphInvalid
from .infer import DTYPES, infer_graph

EXAMPLE_BATCH = 2  # the exporters' example input: never 1, which an exporter could take for a constant
ITEMSIZE = {"float32": 4, "int64": 8}
HEADER = '''"""{name}: a network designed in LayerLab (layerlab.graph/1). Needs only torch.

Weights saved from LayerLab load with model.load_state_dict(...): keys are the design's node ids.
"""
import torch
from torch import nn


class {cls}(nn.Module):
    def __init__(self):
        super().__init__()
'''


def export_pytorch(doc: dict | Graph) -> str:
    """Readable, self-contained source of one nn.Module class with the compiled model's state_dict keys."""
    graph = doc if isinstance(doc, Graph) else check_document(doc)
    infos, errors = infer_graph(graph)
    if errors:
        raise GraphInvalid(errors)
    # On the meta device: the source needs the fx graph, never the weights.
    with torch.device("meta"):
        traced = compile_graph(graph)
    lines = [init_line(node, [infos[i].shape for i in node.inputs]) for node in graph.nodes
             if BLOCKS[node.type].module is not None]
    body = "\n".join(lines) if lines else "        pass"
    return HEADER.format(name=graph.name.replace('"""', "'''"), cls=class_name(graph.name)) + body + "\n" + forward_source(traced.graph)


def init_line(node, shapes) -> str:
    spec = BLOCKS[node.type]
    kwargs = spec.kwargs(node.params, shapes)
    defaults = {name: p.default for name, p in inspect.signature(spec.module.__init__).parameters.items()}
    # Arguments equal to torch's own defaults add nothing a reader needs.
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k not in defaults or defaults[k] != v)
    return f"        self.{node.id} = nn.{spec.module.__name__}({shown})"


def forward_source(graph: fx.Graph) -> str:
    """fx's generated forward, tidied: no `x = None` bookkeeping, shape comments like `# (N, 32, 30, 30)`."""
    shapes = {node.name: node.meta["shape"] for node in graph.nodes if "shape" in node.meta and node.op != "placeholder"}
    code = graph.python_code("self").src.replace("torch._C._nn.", "torch.nn.functional.")
    lines = []
    for line in code.strip("\n").splitlines():
        line = re.sub(r";\s+[\w\s=]+= None$", "", line.rstrip())
        target, sep, value = line.partition(" = ")
        if sep and target.strip().isidentifier():
            line = f"{target} = {value.replace(' = ', '=')}"
            if target.strip() in shapes:
                line += "  # " + str(("N", *shapes[target.strip()])).replace("'", "")
        lines.append("    " + line if line else line)
    return "\n" + "\n".join(lines).rstrip() + "\n"


def example_inputs(graph: Graph, batch: int = EXAMPLE_BATCH) -> tuple[torch.Tensor, ...]:
    """Zeros shaped like the Inputs; a batch of 2 so no exporter mistakes the batch size for a constant 1."""
    return tuple(torch.zeros(batch, *graph.by_id[i].params["shape"], dtype=DTYPES[graph.by_id[i].params["dtype"]])
                 for i in graph.inputs)


def export_memory(graph: Graph) -> tuple[int, str]:
    """Bytes an ONNX or TorchScript export may hold at once, estimated cheaply from shapes, and the node
    with the largest output: the weights three times (module, exporter, serialized file) and every
    node's output for the example batch twice (the value and the exporter's copy, or a padded input)."""
    infos, errors = infer_graph(graph)
    if errors:
        raise GraphInvalid(errors)
    size = {name: math.prod(info.shape) * ITEMSIZE.get(info.dtype, 4) for name, info in infos.items()}
    weights = sum(info.params for info in infos.values()) * 4 * 3
    return weights + sum(size.values()) * EXAMPLE_BATCH * 2, max(size, key=size.get)


def check_export_memory(graph: Graph, max_mb: int) -> None:
    """ExportTooLarge when exporting would need more than `max_mb` MB: said before anything is allocated."""
    need, largest = export_memory(graph)
    if need > max_mb * 2**20:
        raise ExportTooLarge(f"exporting this design would need about {need / 2**20:,.0f} MB of memory, more than "
                             f"the limit of {max_mb:,} MB; make its largest outputs smaller (the largest is {largest}'s)")


class ExportTooLarge(ValueError):
    """A design too big to export on this server; the message says by how much and where."""


def export_onnx(module: torch.nn.Module, doc: dict | Graph) -> bytes:
    """ONNX with a dynamic batch dimension; inputs named by the Input ids, outputs by the output ids."""
    graph = doc if isinstance(doc, Graph) else check_document(doc)
    check_onnx(graph)
    names = graph.inputs + graph.outputs
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on RNN batch sizes and deprecations are not the user's
        torch.onnx.export(module, example_inputs(graph), buffer, input_names=graph.inputs,
                          output_names=graph.outputs, dynamic_axes={name: {0: "batch"} for name in names},
                          opset_version=17, dynamo=False)  # exports in eval mode, whatever the module's mode
    return buffer.getvalue()


def check_onnx(graph: Graph) -> None:
    """What ONNX cannot express, said before torch's exporter says it less clearly."""
    infos, errors = infer_graph(graph)
    for node in graph.nodes:
        if node.type.startswith("AdaptiveAvgPool"):
            size = infos[node.inputs[0]].shape[1:]
            wanted = node.params["output_size"]
            wanted = wanted if isinstance(wanted, tuple) else (wanted,) * len(size)
            if any(s % w for s, w in zip(size, wanted)):
                errors.append(GraphError(node.id, "output_size", f"{node.id}: ONNX can only pool {list(size)} into sizes that divide it, "
                                                                 f"not {list(wanted)}; pick such an output_size to export to ONNX"))
    if errors:
        raise GraphInvalid(errors)


def export_torchscript(module: torch.nn.Module, doc: dict | Graph) -> bytes:
    """TorchScript, scripted rather than traced so that any batch size works; load with torch.jit.load."""
    graph = doc if isinstance(doc, Graph) else check_document(doc)
    training = module.training
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fx's GraphModule attributes puzzle the TorchScript compiler harmlessly
            scripted = torch.jit.script(module.eval())
    finally:
        module.train(training)
    scripted.eval()
    scripted(*example_inputs(graph))  # fail here, not in the user's program
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    return buffer.getvalue()
