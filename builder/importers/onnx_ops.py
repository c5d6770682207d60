"""One handler per ONNX operator: (converter, node, resolved inputs, attributes); each sets its outputs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import ImportRefused
from .onnx_graph import FUSABLE, Dyn, Value
from .onnx_rnn import RNN_OPS, RnnParts, concat_rnn, gather_rnn, reshape_rnn, squeeze_rnn, transpose_rnn

ELEMENTWISE = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh"}


def refuse(node, what: str):
    raise ImportRefused(f"operator {node.op_type} (node {node.name[:60]!r}): {what}")


def resolve_dyn(c, node, ins) -> bool:
    """Ops on shapes and constants only (the batch-size bookkeeping) make no block."""
    if any(isinstance(v, (Value, RnnParts, Gelu)) for v in ins if v is not None):
        return False
    for out in node.output:
        c.values[out] = Dyn(ins if node.op_type == "Concat" else None)
    return True


def tensor(node, v, what: str = "its input") -> Value:
    if not isinstance(v, Value):
        refuse(node, f"{what} is not a tensor LayerLab can follow")
    return v


def const(node, v, what: str) -> np.ndarray:
    if not isinstance(v, np.ndarray):
        refuse(node, f"{what} must be a constant (an initializer)")
    return v


def dim(node, axis: int, rank: int) -> int:
    """An ONNX axis (batch is 0) as a per-sample dim."""
    if axis == 0 or not -rank <= axis <= rank:
        refuse(node, f"axis {axis} is the batch axis or no axis of its input")
    return axis - 1 if axis > 0 else axis


def block(c, node, type_, inputs, params=None, weight=None, rank=None) -> Value:
    name, fallback = c.name_for(node, weight)
    node_id = c.add(type_, [v.node for v in inputs], params, name, fallback, node)
    value = Value(node_id, inputs[0].rank if rank is None else rank)
    c.values[node.output[0]] = value
    return value


def put(c, prefix: str, **tensors) -> None:
    for key, array in tensors.items():
        c.weights[f"{prefix}.{key}"] = np.asarray(array, dtype=np.int64 if key == "num_batches_tracked" else np.float32)


def conv(c, node, ins, a):
    x, w = tensor(node, ins[0]), const(node, ins[1], "its weight")
    n = w.ndim - 2
    if n not in (1, 2):
        refuse(node, "only 1-D and 2-D convolutions have blocks")
    pads = a.get("pads", [0] * 2 * n)
    padding = "same" if a.get("auto_pad", "NOTSET") == "SAME_UPPER" and set(a.get("strides", [1])) == {1} else None
    if padding is None:
        if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID") or pads[:n] != pads[n:]:
            refuse(node, "only even padding on both sides (or SAME with stride 1) is supported")
        padding = one(pads[:n])
    bias = len(ins) > 2 and ins[2] is not None
    params = {"out_channels": int(w.shape[0]), "kernel_size": one(list(w.shape[2:])), "stride": one(a.get("strides", [1] * n)),
              "padding": padding, "dilation": one(a.get("dilations", [1] * n)), "groups": int(a.get("group", 1)), "bias": bias}
    v = block(c, node, f"Conv{n}d", [x], defaults(params, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}), node.input[1])
    put(c, v.node, weight=w, **({"bias": const(node, ins[2], "its bias")} if bias else {}))


def one(values):
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def defaults(params: dict, known: dict) -> dict:
    return {k: v for k, v in params.items() if k not in known or known[k] != v}


def gemm(c, node, ins, a):
    x, b = tensor(node, ins[0]), const(node, ins[1], "its weight")
    if a.get("transA", 0) or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or x.rank != 1:
        refuse(node, "only y = x·Wᵀ + b on [N, F] inputs is supported")
    w = b if a.get("transB", 0) else b.T
    bias = len(ins) > 2 and ins[2] is not None
    v = block(c, node, "Linear", [x], {"out_features": int(w.shape[0]), **({} if bias else {"bias": False})}, node.input[1])
    put(c, v.node, weight=w, **({"bias": const(node, ins[2], "its bias").reshape(-1)} if bias else {}))


def matmul(c, node, ins, a):
    x, w = tensor(node, ins[0]), const(node, ins[1], "its second input")
    if w.ndim != 2:
        refuse(node, "only a product with a 2-D weight matrix is a Linear block")
    v = block(c, node, "Linear", [x], {"out_features": int(w.shape[1]), "bias": False}, node.input[1])
    put(c, v.node, weight=w.T)
    c.pending_bias.add(v.node)


def add(c, node, ins, a):
    g = next((v for v in ins if isinstance(v, Gelu)), None)
    if g and g.step == "erf" and any(near(v, 1.0) for v in ins):
        c.values[node.output[0]] = Gelu(g.x, "add")
        return
    values = [v for v in ins if isinstance(v, Value)]
    consts = [v for v in ins if isinstance(v, np.ndarray)]
    source = node.input[[isinstance(v, Value) for v in ins].index(True)] if values else ""
    if len(values) == 1 and len(consts) == 1 and values[0].node in c.pending_bias and c.uses.get(source, 0) == 1:
        linear = c.by_id[values[0].node]  # MatMul + Add is Linear with a bias
        linear["params"].pop("bias")
        c.weights[f"{linear['id']}.bias"] = np.asarray(consts[0], dtype=np.float32).reshape(-1)
        c.pending_bias.discard(linear["id"])
        c.values[node.output[0]] = values[0]
        return
    if len(values) != len(ins):
        refuse(node, "only sums of block outputs (or a Linear's bias) are supported")
    block(c, node, "Add", values)


def activation(c, node, ins, a):
    x = tensor(node, ins[0])
    op = node.op_type
    fused = fuse_name(c, node, x, a)
    if fused:
        c.by_id[x.node].setdefault("params", {})["activation"] = fused
        c.values[node.output[0]] = x
        c.layers.append({"operator": op, "name": node.name, "block": x.node})
        return
    if op in ELEMENTWISE:
        block(c, node, ELEMENTWISE[op], [x])
    elif op == "Elu":
        if abs(a.get("alpha", 1.0) - 1.0) > 1e-6:
            refuse(node, "ELU's alpha must be 1")
        block(c, node, "ELU", [x])
    elif op == "LeakyRelu":
        block(c, node, "LeakyReLU", [x], {"negative_slope": round(float(a.get("alpha", 0.01)), 6)})
    else:
        axis = a.get("axis", -1)
        block(c, node, op, [x], {"dim": dim(node, axis, x.rank)} if dim(node, axis, x.rank) != -1 else None)


def fuse_name(c, node, x: Value, a: dict) -> str | None:
    """The activation a Conv or Linear takes inline, when this op only finishes that block."""
    owner = c.by_id.get(x.node)
    if owner is None or owner["type"] not in ("Conv1d", "Conv2d", "Linear") or owner.get("params", {}).get("activation"):
        return None
    if c.uses.get(node.input[0], 0) != 1 or node.input[0] in {o.name for o in c.graph.output}:
        return None
    op = node.op_type
    if op in FUSABLE:
        return FUSABLE[op]
    if op == "Elu" and abs(a.get("alpha", 1.0) - 1.0) < 1e-6:
        return "elu"
    if op == "LeakyRelu" and abs(a.get("alpha", 0.01) - 0.01) < 1e-6:
        return "leaky_relu"
    channel = 1 if owner["type"] != "Linear" else x.rank
    if op == "Softmax" and a.get("axis", -1) in (channel, -1 if owner["type"] == "Linear" else channel):
        return "softmax"
    return None


@dataclass
class Gelu:
    """A step of torch's exact GELU, x · 0.5 · (1 + erf(x / √2)), on its way to becoming one block."""
    x: Value
    step: str  # "div", "erf", "add", "mul"


def near(v, target: float) -> bool:
    return isinstance(v, np.ndarray) and v.size == 1 and abs(float(v.reshape(-1)[0]) - target) < 1e-3


def div(c, node, ins, a):
    if isinstance(ins[0], Value) and near(ins[1], 2 ** 0.5):
        c.values[node.output[0]] = Gelu(ins[0], "div")
        return
    refuse(node, "a division is a block only inside GELU, x·0.5·(1 + erf(x/√2))")


def erf(c, node, ins, a):
    if isinstance(ins[0], Gelu) and ins[0].step == "div":
        c.values[node.output[0]] = Gelu(ins[0].x, "erf")
        return
    refuse(node, "erf is a block only inside GELU, x·0.5·(1 + erf(x/√2))")


def mul(c, node, ins, a):
    """x · sigmoid(x) is SiLU, and x · (1 + erf(x/√2)) · 0.5 is GELU, as torch exports them."""
    x, s = ins
    g = next((v for v in ins if isinstance(v, Gelu)), None)
    if g and g.step == "add" and any(v is g.x or v == g.x for v in ins if isinstance(v, Value)):
        c.values[node.output[0]] = Gelu(g.x, "mul")
        return
    if g and g.step == "mul" and any(near(v, 0.5) for v in ins):
        block(c, node, "GELU", [g.x])
        return
    if isinstance(x, Value) and isinstance(s, Value):
        sig = c.by_id.get(s.node)
        if sig and sig["type"] == "Sigmoid" and sig["inputs"] == [x.node] and c.uses.get(node.input[1], 0) == 1:
            sig["type"] = "SiLU"
            c.values[node.output[0]] = s
            return
    refuse(node, "a product of tensors is a block only as SiLU, x·sigmoid(x)")


def pool(c, node, ins, a):
    x = tensor(node, ins[0])
    n = x.rank - 1
    kind = "Max" if node.op_type == "MaxPool" else "Avg"
    k = a.get("kernel_shape", [])
    pads = a.get("pads", [0] * 2 * n)
    if n not in (1, 2) or len(k) != n or a.get("ceil_mode", 0) or set(a.get("dilations", [1])) != {1} or pads[:n] != pads[n:]:
        refuse(node, "only 1-D and 2-D pooling with even padding, no dilation and no ceil_mode is supported")
    if kind == "Avg" and any(pads) and not a.get("count_include_pad", 0):
        refuse(node, "average pooling that leaves the padding out of the count has no block")
    params = {"kernel_size": one(k), "stride": one(a.get("strides", [1] * n)), "padding": one(pads[:n])}
    block(c, node, f"{kind}Pool{n}d", [x], defaults(params, {"padding": 0, "stride": params["kernel_size"]}))


def global_pool(c, node, ins, a):
    x = tensor(node, ins[0])
    if x.rank not in (2, 3):
        refuse(node, "only [C, L] and [C, H, W] inputs are supported")
    block(c, node, f"AdaptiveAvgPool{x.rank - 1}d", [x], {"output_size": 1})


def batchnorm(c, node, ins, a):
    x = tensor(node, ins[0])
    scale, bias, mean, var = (const(node, v, "its statistics") for v in ins[1:5])
    if a.get("training_mode", 0) or x.rank > 3:
        refuse(node, "only inference-mode normalization of [C], [C, L] or [C, H, W] is supported")
    params = defaults({"eps": round(float(a.get("epsilon", 1e-5)), 9), "momentum": round(1 - float(a.get("momentum", 0.9)), 6)},
                      {"eps": 1e-5, "momentum": 0.1})
    v = block(c, node, "BatchNorm2d" if x.rank == 3 else "BatchNorm1d", [x], params, node.input[1])
    put(c, v.node, weight=scale, bias=bias, running_mean=mean, running_var=var, num_batches_tracked=np.array(0))


def layernorm(c, node, ins, a):
    x = tensor(node, ins[0])
    if a.get("axis", -1) not in (-1, x.rank) or len(ins) < 3 or ins[2] is None:
        refuse(node, "only normalization of the last dim, with scale and bias, is a LayerNorm block")
    eps = round(float(a.get("epsilon", 1e-5)), 9)
    v = block(c, node, "LayerNorm", [x], defaults({"eps": eps}, {"eps": 1e-5}), node.input[1])
    put(c, v.node, weight=const(node, ins[1], "its scale"), bias=const(node, ins[2], "its bias"))


def flatten(c, node, ins, a):
    x = tensor(node, ins[0])
    if a.get("axis", 1) != 1:
        refuse(node, "only flattening everything but the batch (axis 1) is supported")
    block(c, node, "Flatten", [x], rank=1)


def reshape(c, node, ins, a):
    if isinstance(ins[0], RnnParts):
        return reshape_rnn(c, node, ins)
    x = tensor(node, ins[0])
    shape = ins[1]
    if isinstance(shape, np.ndarray) and shape.ndim == 1 and len(shape) >= 2 and shape[0] in (0, -1):
        target = [int(s) for s in shape[1:]]
    elif isinstance(shape, Dyn) and shape.parts and sum(isinstance(p, np.ndarray) for p in shape.parts) == 1:
        target = [int(s) for s in next(p for p in shape.parts if isinstance(p, np.ndarray)).reshape(-1)]
    else:
        refuse(node, "its target shape is computed in a way LayerLab cannot read; only [batch, sizes...] is supported")
    block(c, node, "Reshape", [x], {"shape": target}, rank=len(target))


def transpose(c, node, ins, a):
    perm = list(a.get("perm", []))
    if isinstance(ins[0], RnnParts) or (perm == [1, 0, 2] and isinstance(ins[0], Value) and ins[0].rank == 2):
        return transpose_rnn(c, node, ins, perm)
    x = tensor(node, ins[0])
    if not perm or perm[0] != 0:
        refuse(node, "only permutations that keep the batch first are a Permute block")
    block(c, node, "Permute", [x], {"dims": [p - 1 for p in perm[1:]]})


def concat(c, node, ins, a):
    if any(isinstance(v, RnnParts) for v in ins):
        return concat_rnn(c, node, ins, a)
    values = [tensor(node, v) for v in ins]
    d = dim(node, a.get("axis", 0), values[0].rank)
    block(c, node, "Concat", values, {"dim": d} if d else None)


def gather(c, node, ins, a):
    if isinstance(ins[0], RnnParts):
        return gather_rnn(c, node, ins, a)
    if isinstance(ins[0], Dyn) or isinstance(ins[1], Dyn):
        c.values[node.output[0]] = Dyn()
        return
    w, ids = const(node, ins[0], "its table"), tensor(node, ins[1], "its indices")
    if w.ndim != 2 or a.get("axis", 0) != 0:
        refuse(node, "only a lookup in a 2-D table (an embedding) is supported")
    v = block(c, node, "Embedding", [ids], {"num_embeddings": int(w.shape[0]), "embedding_dim": int(w.shape[1])},
              node.input[0], rank=ids.rank + 1)
    put(c, v.node, weight=w)


def shape(c, node, ins, a):
    c.values[node.output[0]] = Dyn()


def identity(c, node, ins, a):
    c.values[node.output[0]] = ins[0]


def dropout(c, node, ins, a):
    x = tensor(node, ins[0])
    ratio = ins[1] if len(ins) > 1 and isinstance(ins[1], np.ndarray) else np.array(a.get("ratio", 0.5))
    block(c, node, "Dropout", [x], {"p": round(float(ratio), 6)})


OPS = {
    "Conv": conv, "Gemm": gemm, "Div": div, "Erf": erf, "MatMul": matmul, "Add": add, "Mul": mul,
    "Relu": activation, "Sigmoid": activation, "Tanh": activation, "Elu": activation, "LeakyRelu": activation,
    "Softmax": activation, "LogSoftmax": activation,
    "MaxPool": pool, "AveragePool": pool, "GlobalAveragePool": global_pool,
    "BatchNormalization": batchnorm, "LayerNormalization": layernorm, "Flatten": flatten, "Reshape": reshape,
    "Transpose": transpose, "Concat": concat, "Gather": gather, "Identity": identity, "Shape": shape, "Dropout": dropout,
    "Squeeze": squeeze_rnn, **RNN_OPS,
}
SUPPORTED = ", ".join(sorted(OPS))
