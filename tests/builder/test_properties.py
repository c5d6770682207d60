"""Random designs: valid ones compile and agree with their summary; corrupted ones get errors, never exceptions."""
import copy

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.blocks import ACTIVATION_NAMES, BLOCKS
from builder.compile import compile_graph
from builder.summary import summarize
from tests.builder.designs import design, node, sample

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ELEMENTWISE = ["ReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Dropout", "LayerNorm", "Flatten"]


def any_rank(draw, shape):
    type_ = draw(st.sampled_from(ELEMENTWISE + ["Linear", "LeakyReLU", "Softmax", "LogSoftmax"]))
    if type_ == "Linear":
        return type_, {"out_features": draw(st.integers(1, 8)), "bias": draw(st.booleans()),
                       "activation": draw(st.sampled_from(ACTIVATION_NAMES))}
    if type_ == "Dropout":
        return type_, {"p": draw(st.floats(0, 0.9))}
    if type_ == "LeakyReLU":
        return type_, {"negative_slope": draw(st.floats(0, 1))}
    if type_ in ("Softmax", "LogSoftmax"):
        return type_, {"dim": draw(st.integers(-len(shape), len(shape) - 1))}
    return type_, {}


def window(draw, size, pair):
    """kernel and padding that fit an input of `size` (the smallest spatial dim); padding at most half the kernel."""
    kernel = [draw(st.integers(1, min(size, 4))) for _ in range(2 if pair and draw(st.booleans()) else 1)]
    return {"kernel_size": kernel if len(kernel) == 2 else kernel[0], "padding": draw(st.integers(0, min(kernel) // 2))}


def rank_two(draw, shape):
    choice = draw(st.sampled_from(["Conv1d", "pool", "AdaptiveAvgPool1d", "BatchNorm1d", "recurrent", "Permute"]))
    if choice == "Conv1d":
        params = window(draw, shape[1], pair=False)
        groups = draw(st.sampled_from([g for g in (1, 2) if shape[0] % g == 0]))
        return "Conv1d", {**params, "out_channels": 2 * draw(st.integers(1, 3)), "groups": groups,
                          "stride": draw(st.integers(1, 2)), "activation": draw(st.sampled_from(ACTIVATION_NAMES))}
    if choice == "pool":
        params = window(draw, shape[1], pair=False)
        return draw(st.sampled_from(["MaxPool1d", "AvgPool1d"])), {**params, "stride": draw(st.sampled_from([None, 1, 2]))}
    if choice == "AdaptiveAvgPool1d":
        return choice, {"output_size": draw(st.integers(1, shape[1]))}
    if choice == "recurrent":
        type_ = draw(st.sampled_from(["RNN", "LSTM", "GRU"]))
        return type_, {"hidden_size": draw(st.integers(1, 5)), "num_layers": draw(st.integers(1, 2)),
                       "bidirectional": draw(st.booleans()), "return_sequences": draw(st.booleans())}
    return choice, {"dims": [1, 0]} if choice == "Permute" else {}


def rank_three(draw, shape):
    choice = draw(st.sampled_from(["Conv2d", "pool", "AdaptiveAvgPool2d", "BatchNorm2d", "Permute"]))
    if choice == "Conv2d":
        params = window(draw, min(shape[1:]), pair=True)
        return choice, {**params, "out_channels": draw(st.integers(1, 6)), "stride": draw(st.integers(1, 2)),
                        "activation": draw(st.sampled_from(ACTIVATION_NAMES))}
    if choice == "pool":
        params = window(draw, min(shape[1:]), pair=True)
        return draw(st.sampled_from(["MaxPool2d", "AvgPool2d"])), params
    if choice == "AdaptiveAvgPool2d":
        return choice, {"output_size": draw(st.integers(1, min(shape[1:])))}
    if choice == "Permute":
        return choice, {"dims": draw(st.permutations([0, 1, 2]))}
    return choice, {}


def step(draw, shape):
    by_rank = {2: rank_two, 3: rank_three}
    if len(shape) in by_rank and draw(st.booleans()):
        return by_rank[len(shape)](draw, shape)
    if len(shape) == 1 and shape[0] % 2 == 0 and draw(st.integers(0, 4)) == 0:
        return "Reshape", {"shape": [2, -1]}
    return any_rank(draw, shape)


@st.composite
def valid_designs(draw):
    start = draw(st.sampled_from([[6], [2, 9], [3, 7, 7], [4, 5], "tokens"]))
    if start == "tokens":
        nodes = [node("x", "Input", shape=[6], dtype="int64"), node("emb", "Embedding", "x", num_embeddings=9, embedding_dim=4)]
    else:
        nodes = [node("x", "Input", shape=start)]
    for i in range(draw(st.integers(1, 7))):
        summary = summarize(design(*nodes, outputs=[n["id"] for n in nodes]))
        assert summary["valid"], (nodes, summary["errors"])  # each step was chosen to fit
        shapes = {k: tuple(v["output_shape"]) for k, v in summary["nodes"].items()}
        usable = [k for k in shapes if not (start == "tokens" and k == "x")]  # only Embedding reads token ids
        source = draw(st.sampled_from(usable))
        twins = [k for k in usable if shapes[k] == shapes[source]]
        if len(twins) > 1 and draw(st.integers(0, 3)) == 0:
            merge = draw(st.sampled_from(["Add", "Concat"]))
            nodes.append(node(f"n{i}", merge, source, draw(st.sampled_from(twins))))
            continue
        type_, params = step(draw, shapes[source])
        nodes.append(node(f"n{i}", type_, source, **params))
    return design(*nodes, outputs=[n["id"] for n in nodes[1:]])


@SETTINGS
@given(valid_designs())
def test_it_compiles_random_designs_to_their_summary(doc):
    summary = summarize(doc)
    assert summary["valid"], summary["errors"]
    model = compile_graph(doc)
    x = doc["nodes"][0]["params"]
    outs = model(sample(x["shape"], x.get("dtype", "float32"), n=2, high=9))
    outs = outs if isinstance(outs, tuple) else (outs,)
    for name, out in zip(doc["outputs"], outs):
        assert list(out.shape) == [2, *summary["nodes"][name]["output_shape"]], name
    assert summary["params"] == sum(p.numel() for p in model.parameters())
    assert summary["flops"] >= 0


BAD_VALUES = [{"a": 1}, 10**12, float("nan"), [[[]]], -(10**9)]


@st.composite
def corrupted(draw):
    """A valid design broken in one way; `sure` says whether it can no longer be valid."""
    doc = copy.deepcopy(draw(valid_designs()))
    nodes = doc["nodes"]
    target = draw(st.sampled_from(nodes[1:]))
    how = draw(st.sampled_from(["top", "key", "param", "id", "type", "loop", "duplicate", "unknown"]))
    if how == "top":
        del doc[draw(st.sampled_from(["format", "name", "nodes"]))]
    elif how == "key":
        key = draw(st.sampled_from(["id", "type", "inputs", "params"]))
        target.pop(key, None)
        return doc, key in ("id", "type", "inputs")
    elif how == "param":
        spec = BLOCKS[target["type"]]
        if not spec.params:
            return doc, False
        target.setdefault("params", {})[draw(st.sampled_from(spec.params)).name] = draw(st.sampled_from(BAD_VALUES))
    elif how == "id":
        target["id"] = draw(st.sampled_from(["1x", "", "a-b", "class", "x" * 65, 3, None, "forward"]))
    elif how == "type":
        target["type"] = draw(st.sampled_from(list(BLOCKS) + ["Conv3d", None, 7]))
        return doc, target["type"] not in BLOCKS
    elif how == "loop":
        target["inputs"] = [target["id"]] + target["inputs"][1:]
    elif how == "duplicate":
        nodes.append(copy.deepcopy(target))
    else:
        target.setdefault("params", {})["colour"] = "teal"
    return doc, True


@SETTINGS
@given(corrupted())
def test_it_explains_corrupted_designs_without_raising(case):
    doc, sure = case
    summary = summarize(doc)
    assert isinstance(summary["valid"], bool)
    if sure:
        assert summary["valid"] is False and summary["errors"]
    for error in summary["errors"]:
        assert set(error) == {"node", "param", "message"} and error["message"]
    if summary["valid"]:
        compile_graph(doc)  # what the summary accepts, the compiler builds
