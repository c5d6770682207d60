"""A design as PyTorch source, ONNX, TorchScript or a torch.export program (.pt2); the same weights give the same outputs in each."""
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
from .preprocess import channel_shape

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


def export_pytorch(doc: dict | Graph, preprocess: dict | None = None) -> str:
    """Readable, self-contained source of one nn.Module class with the compiled model's state_dict keys.

    `preprocess` (a run's {"scale", "mean", "std", "channel_dim"}) adds the scaling and normalization
    training applied, so the class takes inputs as the dataset stores them; its buffers are not saved
    in the state_dict."""
    graph = doc if isinstance(doc, Graph) else check_document(doc)
    infos, errors = infer_graph(graph)
    if errors:
        raise GraphInvalid(errors)
    # On the meta device: the source needs the fx graph, never the weights.
    with torch.device("meta"):
        traced = compile_graph(graph)
    lines = [init_line(node, [infos[i].shape for i in node.inputs]) for node in graph.nodes
             if BLOCKS[node.type].module is not None]
    first = graph.inputs[0] if graph.inputs else None
    if preprocess and first:
        lines = preprocess_init(preprocess, len(infos[first].shape)) + lines
    body = "\n".join(lines) if lines else "        pass"
    forward = forward_source(traced.graph)
    if preprocess and first:
        signature = next(line for line in forward.splitlines() if line.startswith("    def forward("))
        forward = forward.replace(signature, signature + "\n" + preprocess_line(preprocess, first), 1)
    return HEADER.format(name=graph.name.replace('"""', "'''"), cls=class_name(graph.name)) + body + "\n" + forward


def preprocess_init(preprocess: dict, sample_dims: int) -> list[str]:
    """Buffers holding the training split's per-channel mean and std (not persistent: not in the state_dict)."""
    if preprocess.get("mean") is None:
        return ["        # Inputs as the dataset stores them: scaled here exactly as in training"]
    lines = ["        # Inputs as the dataset stores them: scaled and normalized here exactly as in training"]
    shape = channel_shape(len(preprocess["mean"]), sample_dims, preprocess.get("channel_dim", 0))
    for name in ("mean", "std"):
        lines.append(f"        self.register_buffer(\"input_{name}\", torch.tensor({preprocess[name]!r})"
                     f".reshape{tuple(shape)!r}, persistent=False)")
    return lines


def preprocess_line(preprocess: dict, x: str) -> str:
    """The same arithmetic as builder.preprocess.Preprocess, so the outputs match bit for bit."""
    scale = float(preprocess.get("scale") or 1.0)
    value = f"{x}.to(torch.float32)" + (f" * {scale!r}" if scale != 1.0 else "")
    if preprocess.get("mean") is not None:
        value = f"({value} - self.input_mean) / self.input_std"
    return f"        {x} = {value}"


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
    return with_design(buffer.getvalue(), doc)


def with_design(proto: bytes, doc: dict | Graph) -> bytes:
    """The ONNX file with its design in the metadata, so that importing it gives back the same design
    (ids, Dropout and other things ONNX leaves out); the importer uses it only where it computes the same."""
    import json

    import onnx

    if not isinstance(doc, dict):
        return proto
    model = onnx.load_from_string(proto)
    onnx.helper.set_model_props(model, {"layerlab.graph": json.dumps(doc, separators=(",", ":"))})
    return model.SerializeToString()


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


JIT_DEPRECATED = r"`torch\.jit\.\w+` is deprecated"  # torch 2.13 says it on every script/save/load


def export_torchscript(module: torch.nn.Module, doc: dict | Graph) -> bytes:
    """TorchScript, scripted rather than traced so that any batch size works; load with torch.jit.load.
    Kept while torch ships it; its deprecation notice (torch.export is the successor: see export_pt2) is
    ours to act on, not the user's, so it is silenced here."""
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
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", JIT_DEPRECATED, DeprecationWarning)
        torch.jit.save(scripted, buffer)
    return buffer.getvalue()


def export_pt2(module: torch.nn.Module, doc: dict | Graph) -> bytes:
    """A torch.export ExportedProgram (.pt2) with a dynamic batch dimension; load with torch.export.load
    and call `.module()`. Exported in eval mode; the caller's module is left as it was."""
    graph = doc if isinstance(doc, Graph) else check_document(doc)
    batch = torch.export.Dim("batch", min=1, max=1 << 16)
    training = module.training
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # notes from the tracer about RNN internals are not the user's
            program = torch.export.export(module.eval(), example_inputs(graph),
                                          dynamic_shapes=tuple({0: batch} for _ in graph.inputs))
    finally:
        module.train(training)
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


BINARY_EXPORTS = {"onnx": export_onnx, "torchscript": export_torchscript, "pt2": export_pt2}  # (module, doc) -> bytes
