"""Every shape error of the spec, from a document that makes it: the node, the param and a sentence."""
import pytest
import torch

from builder.document import Limits
from builder.infer import infer_node
from builder.summary import summarize
from tests.builder.designs import SPEC_EXAMPLE, design, node

IMAGE = node("image", "Input", shape=[3, 8, 8])
SEQ = node("seq", "Input", shape=[10, 8])
TOKENS = node("tokens", "Input", shape=[10], dtype="int64")


def first_error(doc, limits=Limits()):
    summary = summarize(doc, limits)
    assert summary["valid"] is False
    return summary["errors"][0]


@pytest.mark.parametrize("doc,node_id,param,words", [
    # Conv2d fed [T, F]: say the rank it needs and how to get there
    (design(SEQ, node("conv", "Conv2d", "seq", out_channels=4, kernel_size=3)), "conv", None,
     ["needs a [C, H, W] input", "[10, 8], which has 2 dims", "Reshape", "[1, 10, 8]"]),
    (design(IMAGE, node("rnn", "LSTM", "image", hidden_size=4)), "rnn", None, ["[T, F]", "Reshape", "[3, 64]"]),
    (design(IMAGE, node("bn", "BatchNorm1d", "image")), "bn", None, ["[C] or [C, L]", "[3, 64]"]),
    (design(node("v", "Input", shape=[40]), node("gru", "GRU", "v", hidden_size=4)), "gru", None, ["which has 1 dim;", "[40, 1]"]),
    # kernel larger than its (padded) input
    (design(node("x", "Input", shape=[1, 3, 3]), node("conv2", "Conv2d", "x", out_channels=2, kernel_size=5)),
     "conv2", "kernel_size", ["conv2: its 5×5 kernel is larger than its 3×3 input; add padding or use a smaller kernel"]),
    (design(node("x", "Input", shape=[2, 4]), node("c", "Conv1d", "x", out_channels=2, kernel_size=7, padding=1)),
     "c", "kernel_size", ["7 kernel", "4 input"]),
    (design(node("x", "Input", shape=[2, 1, 1]), node("pool", "MaxPool2d", "x", kernel_size=2)),
     "pool", "kernel_size", ["2×2 window is larger than its 1×1 input"]),
    (design(IMAGE, node("pool", "AvgPool2d", "image", kernel_size=2, padding=2)), "pool", "padding", ["half"]),
    (design(IMAGE, node("conv", "Conv2d", "image", out_channels=4, kernel_size=3, padding="same", stride=2)),
     "conv", "padding", ["stride 1"]),
    (design(IMAGE, node("conv", "Conv2d", "image", out_channels=4, kernel_size=3, groups=2)), "conv", "groups",
     ["3 input channels", "divide by groups (2)"]),
    # Add shapes differ; Concat differs off dim
    (design(IMAGE, node("a", "Conv2d", "image", out_channels=4, kernel_size=1), node("sum", "Add", "image", "a")),
     "sum", None, ["identical shape", "[3, 8, 8]", "[4, 8, 8]"]),
    (design(IMAGE, node("p", "MaxPool2d", "image", kernel_size=2), node("cat", "Concat", "image", "p")),
     "cat", "dim", ["every other dim equal", "[3, 8, 8], [3, 4, 4]"]),
    (design(IMAGE, SEQ, node("cat", "Concat", "image", "seq")), "cat", None, ["same number of dims"]),
    (design(IMAGE, node("cat", "Concat", "image", "image", dim=3)), "cat", "dim", ["not a dimension"]),
    # Embedding fed floats; a float block fed int64 ids
    (design(SEQ, node("emb", "Embedding", "seq", num_embeddings=10, embedding_dim=4)), "emb", None,
     ["int64 token ids", "float"]),
    (design(TOKENS, node("fc", "Linear", "tokens", out_features=4)), "fc", None, ["int64 token ids", "Embedding"]),
    (design(TOKENS, node("emb", "Embedding", "tokens", num_embeddings=10, embedding_dim=4, padding_idx=10)), "emb",
     "padding_idx", ["below num_embeddings"]),
    # Reshape that does not multiply out; Permute that is no permutation
    (design(IMAGE, node("r", "Reshape", "image", shape=[5, -1])), "r", "shape",
     ["192 values", "[5, -1]", "multiply to 192"]),
    (design(IMAGE, node("r", "Reshape", "image", shape=[3, 8])), "r", "shape", ["multiply to 192"]),
    (design(SEQ, node("perm", "Permute", "seq", dims=[0, 0])), "perm", "dims", ["not a permutation", "[1, 0]"]),
    (design(SEQ, node("perm", "Permute", "seq", dims=[0, 1, 2])), "perm", "dims", ["not a permutation"]),
    (design(SEQ, node("sm", "Softmax", "seq", dim=2)), "sm", "dim", ["not a dimension of its [10, 8] input"]),
    (design(SEQ, node("sm", "Softmax", "seq", dim=-3)), "sm", "dim", ["not a dimension"]),
])
def test_it_names_the_node_and_param_of_each_shape_error(doc, node_id, param, words):
    error = first_error(doc)
    assert (error["node"], error["param"]) == (node_id, param)
    assert error["message"].startswith(f"{node_id}: ")
    for word in words:
        assert word in error["message"]
    assert "Traceback" not in error["message"] and "aten" not in error["message"]


def test_it_names_the_first_node_where_the_problem_shows():
    doc = design(node("x", "Input", shape=[1, 4, 4]),
                 node("pool1", "MaxPool2d", "x", kernel_size=4),
                 node("pool2", "MaxPool2d", "pool1", kernel_size=2),
                 node("pool3", "MaxPool2d", "pool2", kernel_size=2))
    summary = summarize(doc)
    assert [e["node"] for e in summary["errors"]] == ["pool2"]
    assert summary["nodes"]["pool1"]["output_shape"] == [1, 1, 1]
    assert summary["nodes"]["pool3"]["output_shape"] is None


def test_it_rejects_a_design_over_the_parameter_limit_before_building_it():
    doc = design(node("x", "Input", shape=[100_000]), node("fc1", "Linear", "x", out_features=10_000),
                 node("fc2", "Linear", "fc1", out_features=10))
    error = first_error(doc)
    assert (error["node"], error["param"]) == ("fc1", None)
    assert "1,000,010,000 parameters" in error["message"] and error["message"].startswith("fc1: ") and "50,000,000" in error["message"]
    assert first_error(SPEC_EXAMPLE, Limits(max_params=1000))["node"] == "logits"


def test_it_caps_the_values_per_sample():
    doc = design(node("x", "Input", shape=[3, 64, 64]), node("c", "Conv2d", "x", out_channels=4096, kernel_size=1))
    error = first_error(doc, Limits(max_elements=1_000_000))
    assert error["node"] == "c" and "16,777,216 values" in error["message"]
    assert first_error(design(node("x", "Input", shape=[4096, 4096, 2])))["param"] == "shape"


def test_it_counts_flops_and_params_as_torch_does():
    summary = summarize(SPEC_EXAMPLE)
    assert summary["nodes"]["conv1"] == {"output_shape": [32, 30, 30], "params": 896, "flops": 2 * 27 * 32 * 30 * 30,
                                         "dtype": "float32"}
    assert summary["flops"] == 2 * 27 * 32 * 900 + 2 * 7200 * 10


def test_it_caches_nodes_by_type_params_and_input():
    infer_node.cache_clear()
    summarize(SPEC_EXAMPLE)
    misses = infer_node.cache_info().misses
    summarize(SPEC_EXAMPLE)
    assert infer_node.cache_info().misses == misses and infer_node.cache_info().hits >= 5


def test_it_infers_the_same_whatever_the_callers_grad_mode():
    # infer.py runs each node under no_grad for speed; that must neither change a result nor leak out
    results = []
    for mode in (torch.enable_grad, torch.no_grad, torch.inference_mode):
        infer_node.cache_clear()
        with mode():
            results.append(summarize(SPEC_EXAMPLE))
            assert torch.is_grad_enabled() == (mode is torch.enable_grad)
    assert results[0] == results[1] == results[2] and results[0]["flops"] > 0
