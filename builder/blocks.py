"""The block catalogue: every block type, its parameters, its torch module and its forward.

One entry per type. Each `forward(mod, xs, p)` is plain torch code run twice: on meta tensors to
infer shapes (`infer.py`) and on fx proxies to build the compiled graph (`compile.py`), so the
two cannot disagree. `xs` are batched (`[N, *shape]`), so per-sample dims shift by one.
"""
from __future__ import annotations

import functools
import inspect
import operator
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

REQUIRED = object()
Shape = tuple[int, ...]

GROUPS = ("inputs", "convolution and pooling", "recurrent", "dense", "normalization and regularization",
          "activations", "merge and reshape")
ACTIVATION_NAMES = (None, "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax")
ACTIVATIONS = {"relu": torch.relu, "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu,
               "silu": F.silu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
BIG = 1 << 16  # the largest layer width, kernel or sequence length a design may ask for


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # int, int-or-pair, padding, float, bool, choice, shape, dims
    default: Any = REQUIRED
    help: str = ""
    min: float | None = None
    max: float | None = None
    open_max: bool = False  # max itself is not allowed (dropout p < 1)
    choices: tuple = ()
    nullable: bool = False

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.kind, "required": self.required,
                "default": None if self.required else self.default, "nullable": self.nullable,
                "min": self.min, "max": self.max, "max_exclusive": self.open_max,
                "choices": list(self.choices), "help": self.help}


@dataclass(frozen=True)
class BlockSpec:
    type: str
    group: str
    doc: str
    params: tuple[Param, ...] = ()
    arity: int = 1  # 0: Input; 2: two or more
    ranks: tuple[int, ...] | None = None  # per-sample ranks accepted; None: any
    layout: str = ""  # the input it expects, for messages: "[C, H, W]"
    takes: str = "float"  # dtype of its input: float, int64 or any
    module: type[nn.Module] | None = None  # the torch class holding the node's weights or state
    kwargs: Callable[[dict, list[Shape]], dict] | None = None  # its constructor arguments
    forward: Callable | None = None  # (mod, xs, p) -> tensor; mod is None when module is None
    check: Callable[[dict, list[Shape]], tuple[str | None, str] | None] | None = None  # what torch lets through
    flops: bool = False  # does matrix products or convolutions, the only ops FlopCounterMode counts

    def build(self, p: dict, shapes: list[Shape], device: torch.device | str | None = None) -> nn.Module | None:
        if self.module is None:
            return None
        kwargs = self.kwargs(p, shapes)
        if takes_device(self.module):  # modules with weights are born on the device: meta ones never allocate
            kwargs["device"] = device
        return self.module(**kwargs)


@functools.cache
def takes_device(cls: type) -> bool:
    params = inspect.signature(cls.__init__).parameters.values()
    return any(p.name == "device" or p.kind is p.VAR_KEYWORD for p in params)  # nn.LSTM passes **kwargs on


def shift(dim: int) -> int:
    """A per-sample dim as a batched one."""
    return dim + 1 if dim >= 0 else dim


def activate(x, name: str | None, softmax_dim: int):
    if name is None:
        return x
    if name == "softmax":
        return torch.softmax(x, dim=softmax_dim)
    return ACTIVATIONS[name](x)


def call(mod, xs, p):
    return mod(xs[0])


def affine(softmax_dim: int):
    return lambda mod, xs, p: activate(mod(xs[0]), p["activation"], softmax_dim)


def recurrent(lstm: bool):
    def forward(mod, xs, p):
        result = mod(xs[0])
        if p["return_sequences"]:
            return result[0]
        h_n = result[1][0] if lstm else result[1]  # [layers·D, N, H]; the last layer's states come last
        if p["bidirectional"]:
            return torch.cat([h_n[-2], h_n[-1]], dim=1)
        return h_n[-1]
    return forward


def elementwise(fn: Callable, **kwargs):
    return lambda mod, xs, p: fn(xs[0], **kwargs)


def fmt(shape: Shape) -> str:
    return str(list(shape))


# ---- checks for what torch would accept but the spec does not (or would reject unreadably) ----

def check_dim(p: dict, shapes: list[Shape]) -> tuple[str, str] | None:
    rank = len(shapes[0])
    if not -rank <= p["dim"] < rank:
        return "dim", f"dim {p['dim']} is not a dimension of its {fmt(shapes[0])} input; use 0 to {rank - 1}, or -1"
    return None


def check_add(p: dict, shapes: list[Shape]) -> tuple[None, str] | None:
    if len(set(shapes)) > 1:
        listed = ", ".join(fmt(s) for s in shapes)
        return None, f"Add needs inputs of identical shape but receives {listed}; make them match (e.g. a 1×1 Conv2d or a Linear on one branch)"
    return None


def check_concat(p: dict, shapes: list[Shape]) -> tuple[str | None, str] | None:
    if len({len(s) for s in shapes}) > 1:
        return None, f"Concat needs inputs with the same number of dims but receives {', '.join(fmt(s) for s in shapes)}; Reshape or Flatten one of them"
    problem = check_dim(p, shapes)
    if problem:
        return problem
    d = p["dim"] % len(shapes[0])
    if len({s[:d] + s[d + 1:] for s in shapes}) > 1:
        return "dim", (f"Concat along dim {p['dim']} needs every other dim equal but receives "
                       f"{', '.join(fmt(s) for s in shapes)}; join along the dim where they differ or make the others match")
    return None


def check_permute(p: dict, shapes: list[Shape]) -> tuple[str, str] | None:
    rank = len(shapes[0])
    if sorted(p["dims"]) != list(range(rank)):
        return "dims", (f"dims {list(p['dims'])} is not a permutation of its input's {rank} dims; "
                        f"list each of 0 to {rank - 1} once, e.g. {list(range(rank))[::-1]}")
    return None


def check_embedding(p: dict, shapes: list[Shape]) -> tuple[str, str] | None:
    if p["padding_idx"] is not None and not -p["num_embeddings"] <= p["padding_idx"] < p["num_embeddings"]:
        return "padding_idx", f"padding_idx {p['padding_idx']} must be a token id below num_embeddings ({p['num_embeddings']})"
    return None


# ---- parameter lists shared by several blocks ----

def conv_params(pair: bool) -> tuple[Param, ...]:
    size = "int-or-pair" if pair else "int"
    return (
        Param("out_channels", "int", help="number of channels produced", min=1, max=BIG),
        Param("kernel_size", size, help="size of the convolving kernel", min=1, max=BIG),
        Param("stride", size, 1, "step between kernel positions", min=1, max=BIG),
        Param("padding", "padding-pair" if pair else "padding", 0,
              'zeros added on each side, or "same" to keep the size (stride 1 only)', min=0, max=BIG),
        Param("dilation", size, 1, "spacing between kernel elements", min=1, max=BIG),
        Param("groups", "int", 1, "blocked connections; in and out channels must divide by it", min=1, max=BIG),
        Param("bias", "bool", True, "add a learnable bias"),
        Param("activation", "choice", None, "activation applied to the output", choices=ACTIVATION_NAMES, nullable=True),
    )


def pool_params(pair: bool) -> tuple[Param, ...]:
    size = "int-or-pair" if pair else "int"
    return (
        Param("kernel_size", size, help="size of the window", min=1, max=BIG),
        Param("stride", size, None, "step between windows; null means kernel_size", min=1, max=BIG, nullable=True),
        Param("padding", size, 0, "implicit padding on each side, at most half the kernel", min=0, max=BIG),
    )


def recurrent_params(nonlinearity: bool) -> tuple[Param, ...]:
    extra = (Param("nonlinearity", "choice", "tanh", "the cell's activation", choices=("tanh", "relu")),) if nonlinearity else ()
    return (
        Param("hidden_size", "int", help="features in the hidden state (H)", min=1, max=BIG),
        Param("num_layers", "int", 1, "stacked recurrent layers", min=1, max=64),
        *extra,
        Param("bidirectional", "bool", False, "also run backwards in time (D = 2)"),
        Param("dropout", "float", 0.0, "dropout between stacked layers", min=0, max=1, open_max=True),
        Param("return_sequences", "bool", False, "output every time step instead of the final hidden state"),
    )


def conv_kwargs(p: dict, shapes: list[Shape]) -> dict:
    return dict(in_channels=shapes[0][0], out_channels=p["out_channels"], kernel_size=p["kernel_size"],
                stride=p["stride"], padding=p["padding"], dilation=p["dilation"], groups=p["groups"], bias=p["bias"])


def pool_kwargs(p: dict, shapes: list[Shape]) -> dict:
    return dict(kernel_size=p["kernel_size"], stride=p["stride"], padding=p["padding"])


def recurrent_kwargs(p: dict, shapes: list[Shape]) -> dict:
    kwargs = dict(input_size=shapes[0][-1], hidden_size=p["hidden_size"], num_layers=p["num_layers"],
                  bidirectional=p["bidirectional"], dropout=p["dropout"], batch_first=True)
    if "nonlinearity" in p:
        kwargs["nonlinearity"] = p["nonlinearity"]
    return kwargs


def norm_kwargs(p: dict, shapes: list[Shape]) -> dict:
    return dict(num_features=shapes[0][0], eps=p["eps"], momentum=p["momentum"])


NORM_PARAMS = (Param("eps", "float", 1e-5, "added to the variance for stability", min=1e-12, max=1),
               Param("momentum", "float", 0.1, "weight of each batch in the running statistics", min=0, max=1))


def activation_block(type_: str, fn: Callable, formula: str, params: tuple[Param, ...] = (), **kwargs) -> BlockSpec:
    doc = f"Applies {formula} element-wise.\n\nShape:\n    - Input: any\n    - Output: same as the input"
    forward = (lambda mod, xs, p: fn(xs[0], **p)) if params else elementwise(fn, **kwargs)
    return BlockSpec(type_, "activations", doc, params, forward=forward)


def softmax_block(type_: str, fn: Callable, formula: str) -> BlockSpec:
    doc = (f"Applies {formula} along one per-sample dim.\n\nArgs:\n    dim: the dim that sums to one (-1: the last)\n\n"
           "Shape:\n    - Input: any\n    - Output: same as the input")
    return BlockSpec(type_, "activations", doc, (Param("dim", "int", -1, "per-sample dim to normalize", min=-8, max=7),),
                     forward=lambda mod, xs, p: fn(xs[0], dim=shift(p["dim"])), check=check_dim)


BLOCKS: dict[str, BlockSpec] = {spec.type: spec for spec in [
    BlockSpec(
        "Input", "inputs",
        "A batch of samples fed to the model.\n\nArgs:\n    shape: per-sample shape, channels first, e.g. [3, 32, 32]\n"
        '    dtype: "float32", or "int64" for token ids (feed them to Embedding)\n\nShape:\n    - Output: [N, *shape]',
        (Param("shape", "shape", help="per-sample shape, no batch dimension", min=1, max=1 << 24),
         Param("dtype", "choice", "float32", "float32 for values, int64 for token ids", choices=("float32", "int64"))),
        arity=0),
    BlockSpec(
        "Linear", "dense",
        "Applies an affine map y = xWᵀ + b to the last dimension.\n\nArgs:\n    out_features: size of each output\n"
        "    bias: learn an additive bias\n    activation: applied to the output (null: none)\n\n"
        "Shape:\n    - Input: [..., F]\n    - Output: [..., out_features]",
        (Param("out_features", "int", help="size of each output", min=1, max=BIG),
         Param("bias", "bool", True, "learn an additive bias"),
         Param("activation", "choice", None, "activation applied to the output", choices=ACTIVATION_NAMES, nullable=True)),
        module=nn.Linear, forward=affine(-1), flops=True,
        kwargs=lambda p, s: dict(in_features=s[0][-1], out_features=p["out_features"], bias=p["bias"])),
    BlockSpec(
        "Conv1d", "convolution and pooling",
        "Applies a 1-D convolution over a signal of several channels.\n\nArgs:\n    out_channels: channels produced\n"
        '    kernel_size, stride, dilation: ints\n    padding: int or "same"\n    groups, bias, activation\n\n'
        "Shape:\n    - Input: [C, L]\n    - Output: [out_channels, L']",
        conv_params(False), ranks=(2,), layout="[C, L]", module=nn.Conv1d, kwargs=conv_kwargs, forward=affine(1), flops=True),
    BlockSpec(
        "Conv2d", "convolution and pooling",
        "Applies a 2-D convolution over an image of several channels.\n\nArgs:\n    out_channels: channels produced\n"
        '    kernel_size, stride, dilation: int or [h, w]\n    padding: int, [h, w] or "same"\n    groups, bias, activation\n\n'
        "Shape:\n    - Input: [C, H, W]\n    - Output: [out_channels, H', W']",
        conv_params(True), ranks=(3,), layout="[C, H, W]", module=nn.Conv2d, kwargs=conv_kwargs, forward=affine(1), flops=True),
    BlockSpec(
        "MaxPool1d", "convolution and pooling",
        "Takes the maximum over sliding windows.\n\nArgs:\n    kernel_size: window size\n    stride: step (null: kernel_size)\n"
        "    padding: implicit padding\n\nShape:\n    - Input: [C, L]\n    - Output: [C, L']",
        pool_params(False), ranks=(2,), layout="[C, L]", module=nn.MaxPool1d, kwargs=pool_kwargs, forward=call),
    BlockSpec(
        "AvgPool1d", "convolution and pooling",
        "Averages over sliding windows.\n\nArgs:\n    kernel_size: window size\n    stride: step (null: kernel_size)\n"
        "    padding: implicit zero padding\n\nShape:\n    - Input: [C, L]\n    - Output: [C, L']",
        pool_params(False), ranks=(2,), layout="[C, L]", module=nn.AvgPool1d, kwargs=pool_kwargs, forward=call),
    BlockSpec(
        "MaxPool2d", "convolution and pooling",
        "Takes the maximum over sliding 2-D windows.\n\nArgs:\n    kernel_size: int or [h, w]\n"
        "    stride: int or [h, w] (null: kernel_size)\n    padding: int or [h, w]\n\n"
        "Shape:\n    - Input: [C, H, W]\n    - Output: [C, H', W']",
        pool_params(True), ranks=(3,), layout="[C, H, W]", module=nn.MaxPool2d, kwargs=pool_kwargs, forward=call),
    BlockSpec(
        "AvgPool2d", "convolution and pooling",
        "Averages over sliding 2-D windows.\n\nArgs:\n    kernel_size: int or [h, w]\n"
        "    stride: int or [h, w] (null: kernel_size)\n    padding: int or [h, w]\n\n"
        "Shape:\n    - Input: [C, H, W]\n    - Output: [C, H', W']",
        pool_params(True), ranks=(3,), layout="[C, H, W]", module=nn.AvgPool2d, kwargs=pool_kwargs, forward=call),
    BlockSpec(
        "AdaptiveAvgPool1d", "convolution and pooling",
        "Averages into a fixed number of windows, whatever the input length.\n\nArgs:\n    output_size: L'\n\n"
        "Shape:\n    - Input: [C, L]\n    - Output: [C, output_size]",
        (Param("output_size", "int", help="length of the output", min=1, max=BIG),),
        ranks=(2,), layout="[C, L]", module=nn.AdaptiveAvgPool1d, forward=call,
        kwargs=lambda p, s: dict(output_size=p["output_size"])),
    BlockSpec(
        "AdaptiveAvgPool2d", "convolution and pooling",
        "Averages into a fixed grid of windows, whatever the input size (1: global average pooling).\n\n"
        "Args:\n    output_size: int or [h, w]\n\nShape:\n    - Input: [C, H, W]\n    - Output: [C, *output_size]",
        (Param("output_size", "int-or-pair", help="size of the output grid", min=1, max=BIG),),
        ranks=(3,), layout="[C, H, W]", module=nn.AdaptiveAvgPool2d, forward=call,
        kwargs=lambda p, s: dict(output_size=p["output_size"])),
    BlockSpec(
        "BatchNorm1d", "normalization and regularization",
        "Normalizes each feature or channel over the batch, with learnable scale and shift.\n\nArgs:\n"
        "    eps: added to the variance\n    momentum: weight of each batch in the running statistics\n\n"
        "Shape:\n    - Input: [C] or [C, L]\n    - Output: same as the input",
        NORM_PARAMS, ranks=(1, 2), layout="[C] or [C, L]", module=nn.BatchNorm1d, kwargs=norm_kwargs, forward=call),
    BlockSpec(
        "BatchNorm2d", "normalization and regularization",
        "Normalizes each channel of an image over the batch, with learnable scale and shift.\n\nArgs:\n"
        "    eps: added to the variance\n    momentum: weight of each batch in the running statistics\n\n"
        "Shape:\n    - Input: [C, H, W]\n    - Output: same as the input",
        NORM_PARAMS, ranks=(3,), layout="[C, H, W]", module=nn.BatchNorm2d, kwargs=norm_kwargs, forward=call),
    BlockSpec(
        "LayerNorm", "normalization and regularization",
        "Normalizes the last dimension of each sample, with learnable scale and shift.\n\nArgs:\n"
        "    eps: added to the variance\n\nShape:\n    - Input: [..., F]\n    - Output: same as the input",
        (NORM_PARAMS[0],), module=nn.LayerNorm, forward=call,
        kwargs=lambda p, s: dict(normalized_shape=s[0][-1], eps=p["eps"])),
    BlockSpec(
        "Dropout", "normalization and regularization",
        "During training, zeroes each value with probability p and scales the rest by 1/(1-p); "
        "does nothing in evaluation.\n\nArgs:\n    p: probability of zeroing, 0 <= p < 1\n\n"
        "Shape:\n    - Input: any\n    - Output: same as the input",
        (Param("p", "float", 0.5, "probability of zeroing a value", min=0, max=1, open_max=True),),
        module=nn.Dropout, forward=call, kwargs=lambda p, s: dict(p=p["p"])),
    BlockSpec(
        "Flatten", "merge and reshape",
        "Flattens each sample into one vector, e.g. before Linear.\n\nShape:\n    - Input: any\n    - Output: [product of the input dims]",
        takes="any", forward=elementwise(torch.flatten, start_dim=1)),
    BlockSpec(
        "Reshape", "merge and reshape",
        "Gives each sample a new shape holding the same values.\n\nArgs:\n    shape: the new per-sample shape; one entry may be -1 (inferred)\n\n"
        "Shape:\n    - Input: any\n    - Output: shape",
        (Param("shape", "reshape", help="new per-sample shape; one entry may be -1", min=1, max=1 << 24),),
        takes="any", forward=lambda mod, xs, p: xs[0].flatten(1).unflatten(1, p["shape"])),
    BlockSpec(
        "Permute", "merge and reshape",
        "Reorders the per-sample dims, e.g. [C, L] to [L, C] with dims [1, 0].\n\nArgs:\n    dims: a permutation of 0 … rank-1\n\n"
        "Shape:\n    - Input: any\n    - Output: the input's dims in the order given",
        (Param("dims", "dims", help="the input dims in their new order", min=0, max=7),),
        takes="any", check=check_permute,
        forward=lambda mod, xs, p: xs[0].permute(0, *[shift(d) for d in p["dims"]])),
    BlockSpec(
        "Embedding", "dense",
        "Looks up a learned vector for each token id.\n\nArgs:\n    num_embeddings: vocabulary size (ids are 0 … num_embeddings-1)\n"
        "    embedding_dim: size of each vector\n    padding_idx: an id whose vector stays zero and is not trained\n\n"
        "Shape:\n    - Input: [T] int64 token ids\n    - Output: [T, embedding_dim]",
        (Param("num_embeddings", "int", help="vocabulary size", min=1, max=1 << 24),
         Param("embedding_dim", "int", help="size of each vector", min=1, max=BIG),
         Param("padding_idx", "int", None, "id of the padding token, kept at zero", min=-(1 << 24), max=1 << 24, nullable=True)),
        takes="int64", module=nn.Embedding, forward=call, check=check_embedding,
        kwargs=lambda p, s: dict(num_embeddings=p["num_embeddings"], embedding_dim=p["embedding_dim"], padding_idx=p["padding_idx"])),
    BlockSpec(
        "RNN", "recurrent",
        "An Elman recurrent network over a sequence (batch first).\n\nArgs:\n    hidden_size: H\n    num_layers: stacked layers\n"
        '    nonlinearity: "tanh" or "relu"\n    bidirectional: D = 2 when true\n    dropout: between layers\n'
        "    return_sequences: output every step, else the last layer's final state\n\n"
        "Shape:\n    - Input: [T, F]\n    - Output: [T, H·D] if return_sequences, else [H·D]",
        recurrent_params(True), ranks=(2,), layout="[T, F]", module=nn.RNN, kwargs=recurrent_kwargs, forward=recurrent(False), flops=True),
    BlockSpec(
        "LSTM", "recurrent",
        "A long short-term memory network over a sequence (batch first).\n\nArgs:\n    hidden_size: H\n    num_layers: stacked layers\n"
        "    bidirectional: D = 2 when true\n    dropout: between layers\n"
        "    return_sequences: output every step, else the last layer's final hidden state\n\n"
        "Shape:\n    - Input: [T, F]\n    - Output: [T, H·D] if return_sequences, else [H·D]",
        recurrent_params(False), ranks=(2,), layout="[T, F]", module=nn.LSTM, kwargs=recurrent_kwargs, forward=recurrent(True), flops=True),
    BlockSpec(
        "GRU", "recurrent",
        "A gated recurrent unit network over a sequence (batch first).\n\nArgs:\n    hidden_size: H\n    num_layers: stacked layers\n"
        "    bidirectional: D = 2 when true\n    dropout: between layers\n"
        "    return_sequences: output every step, else the last layer's final hidden state\n\n"
        "Shape:\n    - Input: [T, F]\n    - Output: [T, H·D] if return_sequences, else [H·D]",
        recurrent_params(False), ranks=(2,), layout="[T, F]", module=nn.GRU, kwargs=recurrent_kwargs, forward=recurrent(False), flops=True),
    activation_block("ReLU", torch.relu, "max(0, x)"),
    activation_block("ELU", F.elu, "x if x > 0 else exp(x) - 1"),
    activation_block("GELU", F.gelu, "x·Φ(x), Φ the standard normal CDF"),
    activation_block("SiLU", F.silu, "x·sigmoid(x)"),
    activation_block("Sigmoid", torch.sigmoid, "1 / (1 + exp(-x))"),
    activation_block("Tanh", torch.tanh, "tanh(x)"),
    activation_block("LeakyReLU", F.leaky_relu, "x if x > 0 else negative_slope·x",
                     (Param("negative_slope", "float", 0.01, "slope for negative inputs", min=0, max=10),)),
    softmax_block("Softmax", torch.softmax, "softmax (values in (0, 1) summing to 1)"),
    softmax_block("LogSoftmax", torch.log_softmax, "the logarithm of softmax"),
    BlockSpec(
        "Add", "merge and reshape",
        "Adds its inputs element-wise, e.g. for a residual connection.\n\nShape:\n    - Inputs: two or more of identical shape\n"
        "    - Output: the same shape",
        arity=2, takes="any", check=check_add, forward=lambda mod, xs, p: functools.reduce(operator.add, xs)),
    BlockSpec(
        "Concat", "merge and reshape",
        "Joins its inputs along one per-sample dim (0: channels).\n\nArgs:\n    dim: the dim to join along\n\n"
        "Shape:\n    - Inputs: two or more, equal in every dim but dim\n    - Output: dim is the sum of theirs",
        (Param("dim", "int", 0, "per-sample dim to join along", min=-8, max=7),),
        arity=2, takes="any", check=check_concat, forward=lambda mod, xs, p: torch.cat(list(xs), dim=shift(p["dim"]))),
]}


def catalogue() -> list[dict]:
    """The palette: every block type with its parameters, as JSON."""
    return [{"type": spec.type, "group": spec.group, "arity": spec.arity, "doc": spec.doc,
             "params": [param.as_dict() for param in spec.params]} for spec in BLOCKS.values()]
