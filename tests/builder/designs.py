"""Graph documents written in code, for the builder's tests."""
import copy

import torch

FORMAT = "layerlab.graph/1"


def design(*nodes: dict, outputs: list[str] | None = None, name: str = "test") -> dict:
    doc = {"format": FORMAT, "name": name, "nodes": [copy.deepcopy(n) for n in nodes]}
    if outputs is not None:
        doc["outputs"] = outputs
    return doc


def node(node_id: str, type_: str, *inputs: str, **params) -> dict:
    result = {"id": node_id, "type": type_}
    if inputs:
        result["inputs"] = list(inputs)
    if params:
        result["params"] = params
    return result


def sample(shape, dtype: str = "float32", n: int = 3, high: int = 20) -> torch.Tensor:
    """A random batch; token ids stay below `high`."""
    if dtype == "int64":
        return torch.randint(0, high, (n, *shape))
    return torch.randn(n, *shape)


SPEC_EXAMPLE = design(
    node("image", "Input", shape=[3, 32, 32]),
    node("conv1", "Conv2d", "image", out_channels=32, kernel_size=3, activation="relu"),
    node("pool1", "MaxPool2d", "conv1", kernel_size=2),
    node("flat", "Flatten", "pool1"),
    node("logits", "Linear", "flat", out_features=10),
    outputs=["logits"], name="seed-cnn")

# One or more uses of every block type: input shapes and dtypes, then params. A new block needs a line here.
F = "float32"
EXAMPLES = {
    "Input": [([], {"shape": [3, 8, 8]}), ([], {"shape": [7], "dtype": "int64"})],
    "Linear": [([([6], F)], {"out_features": 4, "activation": "relu"}), ([([5, 6], F)], {"out_features": 2, "bias": False})],
    "Conv1d": [([([3, 16], F)], {"out_channels": 4, "kernel_size": 3, "padding": "same", "activation": "tanh"}),
               ([([4, 16], F)], {"out_channels": 6, "kernel_size": 3, "stride": 2, "dilation": 2, "groups": 2})],
    "Conv2d": [([([3, 9, 9], F)], {"out_channels": 4, "kernel_size": [3, 2], "stride": 2, "padding": 1}),
               ([([2, 6, 6], F)], {"out_channels": 4, "kernel_size": 3, "padding": [1, 0], "activation": "softmax"})],
    "MaxPool1d": [([([3, 16], F)], {"kernel_size": 2})],
    "AvgPool1d": [([([3, 16], F)], {"kernel_size": 3, "stride": 1, "padding": 1})],
    "MaxPool2d": [([([3, 8, 8], F)], {"kernel_size": 2}), ([([3, 7, 9], F)], {"kernel_size": [3, 2], "stride": [2, 1]})],
    "AvgPool2d": [([([3, 8, 8], F)], {"kernel_size": [2, 3], "padding": 1})],
    "AdaptiveAvgPool1d": [([([3, 10], F)], {"output_size": 5})],
    "AdaptiveAvgPool2d": [([([3, 10, 6], F)], {"output_size": [2, 3]}), ([([3, 5, 5], F)], {"output_size": 1})],
    "BatchNorm1d": [([([4], F)], {}), ([([4, 9], F)], {"eps": 1e-3, "momentum": 0.2})],
    "BatchNorm2d": [([([3, 5, 5], F)], {})],
    "LayerNorm": [([([5, 6], F)], {"eps": 1e-6})],
    "Dropout": [([([6], F)], {"p": 0.2})],
    "Flatten": [([([3, 4, 5], F)], {})],
    "Reshape": [([([12], F)], {"shape": [3, -1]}), ([([2, 6], F)], {"shape": [3, 2, 2]})],
    "Permute": [([([3, 4, 5], F)], {"dims": [2, 0, 1]})],
    "Embedding": [([([7], "int64")], {"num_embeddings": 20, "embedding_dim": 5, "padding_idx": 0})],
    "RNN": [([([7, 4], F)], {"hidden_size": 6, "nonlinearity": "relu", "num_layers": 2})],
    "LSTM": [([([7, 4], F)], {"hidden_size": 6, "bidirectional": True}),
             ([([7, 4], F)], {"hidden_size": 5, "return_sequences": True, "num_layers": 2, "dropout": 0.1})],
    "GRU": [([([7, 4], F)], {"hidden_size": 6, "return_sequences": True, "bidirectional": True}),
            ([([7, 4], F)], {"hidden_size": 3, "num_layers": 3, "bidirectional": True})],
    "ReLU": [([([6], F)], {})],
    "ELU": [([([6], F)], {})],
    "GELU": [([([6], F)], {})],
    "SiLU": [([([6], F)], {})],
    "Sigmoid": [([([6], F)], {})],
    "Tanh": [([([6], F)], {})],
    "LeakyReLU": [([([2, 6], F)], {"negative_slope": 0.2})],
    "Softmax": [([([3, 4], F)], {"dim": 0})],
    "LogSoftmax": [([([3, 4], F)], {})],
    "Add": [([([4, 5], F), ([4, 5], F)], {}), ([([3], F), ([3], F), ([3], F)], {})],
    "Concat": [([([2, 5], F), ([3, 5], F)], {}), ([([2, 5], F), ([2, 1], F)], {"dim": -1})],
}


def example_design(type_: str, index: int = 0) -> tuple[dict, list[torch.Tensor]]:
    """A design made of one block fed by Input nodes x0, x1, ..., and a batch for them."""
    inputs, params = EXAMPLES[type_][index]
    if not inputs:
        return design(node("x0", "Input", **params)), [sample(params["shape"], params.get("dtype", F))]
    nodes = [node(f"x{i}", "Input", shape=shape, dtype=dtype) for i, (shape, dtype) in enumerate(inputs)]
    doc = design(*nodes, node("block", type_, *[n["id"] for n in nodes], **params), outputs=["block"])
    return doc, [sample(shape, dtype) for shape, dtype in inputs]


def examples() -> list[tuple[str, int]]:
    from builder.blocks import BLOCKS

    return [(t, i) for t in BLOCKS for i in range(len(EXAMPLES.get(t, [None])))]
