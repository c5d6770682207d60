"""One handler per Keras layer class: (converter, layer, input tensors) -> output tensor.

Each emits blocks through `c.add`, asks for the layout it needs with `c.to_layout`, and gives the
formula of the layer's trainable parameters in Keras (from the input's LayerLab shape) to `c.count`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .base import ImportRefused

ACTIVATIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax", "elu": "elu",
               "gelu": "gelu", "silu": "silu", "swish": "silu", "leaky_relu": "leaky_relu", "linear": None, None: None}
BLOCK_OF = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "elu": "ELU", "gelu": "GELU", "silu": "SiLU"}


def ident(rank: int) -> tuple[int, ...]:
    return tuple(range(rank))


def cf(rank: int) -> tuple[int, ...]:
    """Channels first: Keras's last axis becomes LayerLab's first dim."""
    return (rank - 1, *range(rank - 1))


@dataclass
class Tensor:
    node: str
    perm: tuple[int, ...]  # perm[i]: the Keras axis held by LayerLab's per-sample dim i


def refuse(layer, what: str):
    raise ImportRefused(f"layer {layer.name!r} ({layer.cls}): {what}")


def value(layer, key: str, default=None):
    return layer.config.get(key, default)


def integer(layer, key: str, default=None, low: int = 1) -> int:
    v = value(layer, key, default)
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        refuse(layer, f"{key} must be a whole number of at least {low}, not {str(v)[:40]}")
    return v


def ints(layer, key: str, n: int, default=None) -> int | list[int]:
    """A Keras size (an int or a list of n ints) as LayerLab writes it: an int where all are equal."""
    v = value(layer, key, default)
    v = [v] * n if isinstance(v, int) and not isinstance(v, bool) else v
    if not isinstance(v, list) or len(v) != n or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 1 for i in v):
        refuse(layer, f"{key} must be {n} whole number(s) of at least 1, not {str(v)[:40]}")
    return v[0] if len(set(v)) == 1 else list(v)


def flag(layer, key: str, default: bool) -> bool:
    v = value(layer, key, default)
    if not isinstance(v, bool):
        refuse(layer, f"{key} must be true or false")
    return v


def activation(layer, key: str = "activation", default="linear") -> str | None:
    name = value(layer, key, default)
    if isinstance(name, dict):  # an activation object ({"class_name": "ReLU", ...}) is not a built-in name
        name = str(name.get("class_name"))
    if not isinstance(name, (str, type(None))) or name not in ACTIVATIONS:
        refuse(layer, f"activation {str(name)[:40]!r} is not supported; use one of {', '.join(a for a in ACTIVATIONS if a)}")
    if name == "leaky_relu":
        refuse(layer, 'inline activation "leaky_relu" has Keras\'s slope 0.2; use a separate LeakyReLU layer')
    return ACTIVATIONS[name]


def layout(layer, rank: int) -> tuple[int, ...]:
    fmt = value(layer, "data_format", "channels_last") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        refuse(layer, f"data_format {str(fmt)[:40]!r} is not channels_last or channels_first")
    return cf(rank) if fmt == "channels_last" else ident(rank)


def conv(n: int):
    def handle(c, layer, xs):
        x = c.to_layout(xs[0], layout(layer, n + 1), layer.name)
        kernel, strides = ints(layer, "kernel_size", n), ints(layer, "strides", n, 1)
        padding = value(layer, "padding", "valid")
        if padding == "same" and strides != 1:
            refuse(layer, 'padding "same" with strides above 1 pads unevenly in Keras; PyTorch cannot, so use "valid"')
        if padding not in ("valid", "same"):
            refuse(layer, f'padding {str(padding)[:20]!r} is not supported; use "valid" or "same"')
        params = {"out_channels": integer(layer, "filters"), "kernel_size": kernel, "stride": strides,
                  "padding": 0 if padding == "valid" else "same", "dilation": ints(layer, "dilation_rate", n, 1),
                  "groups": integer(layer, "groups", 1), "bias": flag(layer, "use_bias", True), "activation": activation(layer)}
        node = c.add(f"Conv{n}d", [x.node], params, layer.name)
        k = math.prod(kernel if isinstance(kernel, list) else [kernel] * n)
        c.count(node, lambda s: k * s[0] // params["groups"] * params["out_channels"] + params["out_channels"] * params["bias"])
        return Tensor(node, x.perm)
    return handle


def pool(n: int, kind: str):
    def handle(c, layer, xs):
        x = c.to_layout(xs[0], layout(layer, n + 1), layer.name)
        size = ints(layer, "pool_size", n, 2)
        strides = ints(layer, "strides", n, None) if value(layer, "strides") is not None else size
        if value(layer, "padding", "valid") != "valid":
            refuse(layer, 'only padding "valid" is supported for pooling')
        node = c.add(f"{kind}Pool{n}d", [x.node], {"kernel_size": size, "stride": strides}, layer.name)
        return Tensor(node, x.perm)
    return handle


def global_avg(n: int):
    def handle(c, layer, xs):
        x = c.to_layout(xs[0], layout(layer, n + 1), layer.name)
        node = c.add(f"AdaptiveAvgPool{n}d", [x.node], {"output_size": 1}, layer.name)
        if flag(layer, "keepdims", False):
            return Tensor(node, x.perm)
        return Tensor(c.add("Flatten", [node], None, f"{layer.name}_flat"), (0,))
    return handle


def dense(c, layer, xs):
    x = c.to_layout(xs[0], ident(len(xs[0].perm)), layer.name)
    units, bias = integer(layer, "units"), flag(layer, "use_bias", True)
    node = c.add("Linear", [x.node], {"out_features": units, "bias": bias, "activation": activation(layer)}, layer.name)
    c.count(node, lambda s: s[-1] * units + units * bias)
    return Tensor(node, x.perm)


def flatten(c, layer, xs):
    """Flattened straight from channels-first: the same sizes and parameter counts, but the values come in
    another order than Keras's (which matters only to weights from Keras, and a JSON file has none)."""
    x = xs[0]
    if len(x.perm) > 1 and x.perm != ident(len(x.perm)):
        c.note(f"{layer.name} flattens channels-first ([C, H, W]) where Keras flattens channels-last ([H, W, C]): same size, "
               "another order of values, which only matters for weights trained in Keras (none are imported from JSON)")
    return Tensor(c.add("Flatten", [x.node], None, layer.name), (0,))


def dropout(c, layer, xs):
    rate = value(layer, "rate", 0.5)
    if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
        refuse(layer, "rate must be a number from 0, below 1")
    return Tensor(c.add("Dropout", [xs[0].node], {"p": float(rate)}, layer.name), xs[0].perm)


def act(c, layer, xs):
    return apply(c, layer, xs[0], activation(layer, default=None))


def apply(c, layer, x, name):
    if name is None:
        c.note(f"{layer.name} is a linear (identity) activation and became no block")
        return x
    if name == "softmax":
        return Tensor(c.add("Softmax", [x.node], {"dim": x.perm.index(len(x.perm) - 1)}, layer.name), x.perm)
    return Tensor(c.add(BLOCK_OF[name], [x.node], None, layer.name), x.perm)


def relu(c, layer, xs):
    if value(layer, "max_value") is not None or value(layer, "threshold", 0) or value(layer, "negative_slope", 0):
        refuse(layer, "only a plain ReLU (no max_value, threshold or negative_slope) is supported")
    return apply(c, layer, xs[0], "relu")


def softmax(c, layer, xs):
    x, axis = xs[0], value(layer, "axis", -1)
    if not isinstance(axis, int) or not -len(x.perm) <= axis < len(x.perm):
        refuse(layer, f"axis {str(axis)[:20]} is not an axis of its input")
    return Tensor(c.add("Softmax", [x.node], {"dim": x.perm.index(axis % len(x.perm))}, layer.name), x.perm)


def leaky(c, layer, xs):
    slope = value(layer, "negative_slope", value(layer, "alpha", 0.3))
    if not isinstance(slope, (int, float)) or isinstance(slope, bool) or not 0 <= slope <= 10:
        refuse(layer, "negative_slope must be a number from 0 to 10")
    return Tensor(c.add("LeakyReLU", [xs[0].node], {"negative_slope": float(slope)}, layer.name), xs[0].perm)


def axis_of(layer, rank: int) -> int:
    axis = value(layer, "axis", -1)
    axis = axis[0] if isinstance(axis, list) and len(axis) == 1 else axis
    if not isinstance(axis, int) or isinstance(axis, bool) or axis == 0 or not -rank <= axis < rank + 1:
        refuse(layer, f"axis {str(axis)[:20]} must be one axis of its input")
    # Keras counts the batch axis in positive axes: axis 3 of (N, H, W, C) is C, per-sample axis 2.
    return axis % (rank + 1) - 1 if axis >= 0 else axis % rank


def scale_center(layer) -> int:
    return int(flag(layer, "scale", True)) + int(flag(layer, "center", True))


def batchnorm(c, layer, xs):
    rank = len(xs[0].perm)
    if rank > 3:
        refuse(layer, "LayerLab normalizes [C], [C, L] or [C, H, W] inputs")
    a = axis_of(layer, rank)
    x = c.to_layout(xs[0], (a, *[i for i in range(rank) if i != a]), layer.name)
    momentum = value(layer, "momentum", 0.99)
    eps = value(layer, "epsilon", 1e-3)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (momentum, eps)) or not 0 <= momentum <= 1:
        refuse(layer, "momentum and epsilon must be numbers")
    node = c.add("BatchNorm2d" if rank == 3 else "BatchNorm1d", [x.node],
                 {"eps": float(eps), "momentum": round(1 - momentum, 10)}, layer.name)
    k = scale_center(layer)
    c.count(node, lambda s: k * s[0], "PyTorch's BatchNorm always learns both a scale and a shift")
    return Tensor(node, x.perm)


def layernorm(c, layer, xs):
    rank = len(xs[0].perm)
    a = axis_of(layer, rank)
    x = c.to_layout(xs[0], (*[i for i in range(rank) if i != a], a), layer.name)
    eps = value(layer, "epsilon", 1e-3)
    if not isinstance(eps, (int, float)) or isinstance(eps, bool):
        refuse(layer, "epsilon must be a number")
    node = c.add("LayerNorm", [x.node], {"eps": float(eps)}, layer.name)
    k = scale_center(layer)
    c.count(node, lambda s: k * s[-1], "PyTorch's LayerNorm always learns both a scale and a shift")
    return Tensor(node, x.perm)


RNN_BLOCKS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def recurrent(c, layer, xs, inner=None, name=None):
    """SimpleRNN, LSTM, GRU; `inner` is the wrapped layer of a Bidirectional."""
    rnn = inner or layer
    both = inner is not None
    for key in ("return_state", "go_backwards", "stateful", "unroll"):
        if value(rnn, key, False):
            refuse(layer, f"{key} is not supported; LayerLab's {RNN_BLOCKS[rnn.cls]} returns its output only")
    x = c.to_layout(xs[0], ident(2), layer.name) if len(xs[0].perm) == 2 else refuse(layer, "needs a [steps, features] input")
    units, bias = integer(rnn, "units"), flag(rnn, "use_bias", True)
    params = {"hidden_size": units, "bidirectional": both, "return_sequences": flag(rnn, "return_sequences", False)}
    act_name = value(rnn, "activation", "tanh")
    if rnn.cls == "SimpleRNN":
        if act_name not in ("tanh", "relu"):
            refuse(layer, "SimpleRNN's activation must be tanh or relu")
        params["nonlinearity"] = act_name
    elif act_name != "tanh" or value(rnn, "recurrent_activation", "sigmoid") != "sigmoid":
        refuse(layer, f"PyTorch's {rnn.cls} uses tanh and sigmoid; activation and recurrent_activation must be those")
    if value(rnn, "dropout", 0) or value(rnn, "recurrent_dropout", 0):
        c.note(f"{layer.name}: Keras's dropout inside the recurrent cell has no PyTorch counterpart and was left out")
    node = c.add(RNN_BLOCKS[rnn.cls], [x.node], params, name or layer.name)
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[rnn.cls]
    biases = 2 if rnn.cls == "GRU" and flag(rnn, "reset_after", True) else 1
    d = 2 if both else 1
    c.count(node, lambda s: d * gates * (s[-1] * units + units * units + biases * units * bias),
            f"PyTorch's {RNN_BLOCKS[rnn.cls]} keeps two bias vectors per gate where Keras keeps "
            f"{'one' if biases == 1 and bias else 'none' if not bias else 'two'}")
    return Tensor(node, ident(2) if params["return_sequences"] else (0,))


def bidirectional(c, layer, xs):
    from .keras import Layer

    raw = value(layer, "layer")
    if not isinstance(raw, dict) or not isinstance(raw.get("class_name"), str) or raw["class_name"] not in RNN_BLOCKS \
            or not isinstance(raw.get("config"), dict):
        refuse(layer, "wraps something other than a SimpleRNN, LSTM or GRU")
    if value(layer, "merge_mode", "concat") != "concat":
        refuse(layer, 'only merge_mode "concat" is supported (LayerLab concatenates both directions)')
    inner = Layer(raw["class_name"], layer.name, raw["config"], [])
    return recurrent(c, layer, xs, inner)


def embedding(c, layer, xs):
    if len(xs[0].perm) != 1:
        refuse(layer, "needs a [steps] input of token ids")
    n, d = integer(layer, "input_dim"), integer(layer, "output_dim")
    if value(layer, "mask_zero", False):
        c.note(f"{layer.name}: mask_zero (Keras masking) has no LayerLab counterpart; id 0 is an ordinary token here")
    node = c.add("Embedding", [xs[0].node], {"num_embeddings": n, "embedding_dim": d}, layer.name)
    c.count(node, lambda s: n * d)
    return Tensor(node, (0, 1))


def merge(type_: str):
    def handle(c, layer, xs):
        if len(xs) < 2:
            refuse(layer, "needs two or more inputs")
        rank, perm = len(xs[0].perm), xs[0].perm
        if any(len(x.perm) != rank for x in xs):
            refuse(layer, "its inputs have different numbers of dims")
        nodes = [c.to_layout(x, perm, layer.name).node for x in xs]
        params = None
        if type_ == "Concat":
            params = {"dim": perm.index(axis_of(layer, rank))}
        return Tensor(c.add(type_, nodes, params, layer.name), perm)
    return handle


def reshape(c, layer, xs):
    target = value(layer, "target_shape")
    if not isinstance(target, list) or not 1 <= len(target) <= 4 or not all(isinstance(t, int) and not isinstance(t, bool) for t in target):
        refuse(layer, "target_shape must be a list of 1 to 4 sizes")
    x = c.to_layout(xs[0], ident(len(xs[0].perm)), layer.name)
    return Tensor(c.add("Reshape", [x.node], {"shape": list(target)}, layer.name), ident(len(target)))


def permute(c, layer, xs):
    dims, perm = value(layer, "dims"), xs[0].perm
    if not isinstance(dims, list) or sorted(d for d in dims if isinstance(d, int)) != list(range(1, len(perm) + 1)):
        refuse(layer, f"dims must list each of 1 to {len(perm)} once")
    node = c.add("Permute", [xs[0].node], {"dims": [perm.index(d - 1) for d in dims]}, layer.name)
    return Tensor(node, ident(len(perm)))


HANDLERS = {
    "Conv1D": conv(1), "Conv2D": conv(2), "Convolution1D": conv(1), "Convolution2D": conv(2),
    "MaxPooling1D": pool(1, "Max"), "MaxPool1D": pool(1, "Max"), "MaxPooling2D": pool(2, "Max"), "MaxPool2D": pool(2, "Max"),
    "AveragePooling1D": pool(1, "Avg"), "AvgPool1D": pool(1, "Avg"),
    "AveragePooling2D": pool(2, "Avg"), "AvgPool2D": pool(2, "Avg"),
    "GlobalAveragePooling1D": global_avg(1), "GlobalAvgPool1D": global_avg(1),
    "GlobalAveragePooling2D": global_avg(2), "GlobalAvgPool2D": global_avg(2),
    "Dense": dense, "Flatten": flatten, "Dropout": dropout,
    "BatchNormalization": batchnorm, "LayerNormalization": layernorm,
    "SimpleRNN": recurrent, "LSTM": recurrent, "GRU": recurrent, "Bidirectional": bidirectional,
    "Embedding": embedding, "Activation": act, "ReLU": relu, "Softmax": softmax, "LeakyReLU": leaky,
    "Add": merge("Add"), "Concatenate": merge("Concat"), "Reshape": reshape, "Permute": permute,
}
SUPPORTED = ", ".join(["InputLayer", *HANDLERS])
