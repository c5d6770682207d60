import copy
import json
import math

import pytest

from builder.summary import summarize
from builder.templates import starter_designs
from tests.builder.designs import SPEC_EXAMPLE, design, node

KEYS = {"valid", "params", "trainable_params", "flops", "input_shapes", "output_shape", "nodes", "errors", "warnings"}


def test_it_gives_the_spec_summary():
    summary = summarize(SPEC_EXAMPLE)
    assert set(summary) == KEYS
    assert summary["valid"] is True and summary["errors"] == [] and summary["warnings"] == []
    assert summary["params"] == summary["trainable_params"] == 896 + 7200 * 10 + 10
    assert summary["input_shapes"] == {"image": [3, 32, 32]} and summary["output_shape"] == [10]
    assert set(summary["nodes"]) == {"image", "conv1", "pool1", "flat", "logits"}
    assert summary["nodes"]["flat"] == {"output_shape": [7200], "params": 0, "flops": 0, "dtype": "float32"}
    json.dumps(summary)


def test_it_matches_the_spec_numbers_for_the_cifar_cnn():
    cifar = next(s for s in starter_designs() if s["slug"] == "cifar10-cnn")
    summary = summarize(cifar["document"])
    assert (summary["params"], summary["flops"]) == (122570, 9097216)


def test_it_lists_one_shape_per_output_when_there_are_several():
    doc = design(node("x", "Input", shape=[4]), node("a", "Linear", "x", out_features=2),
                 node("b", "Linear", "x", out_features=3), outputs=["b", "a"])
    assert summarize(doc)["output_shape"] == [[3], [2]]


def test_it_reports_token_inputs_as_int64():
    doc = design(node("t", "Input", shape=[5], dtype="int64"),
                 node("emb", "Embedding", "t", num_embeddings=9, embedding_dim=3))
    summary = summarize(doc)
    assert summary["nodes"]["t"]["dtype"] == "int64" and summary["nodes"]["emb"]["dtype"] == "float32"


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


GARBAGE = [None, [], "text", 3, float("nan"), {"nodes": None}, {"format": "layerlab.graph/1"},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [None, 1, "a", []]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": {"a": 1}, "type": "Input"}]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "params": {"shape": nested(5000)}}]},
           {"format": "layerlab.graph/1", "name": nested(5000), "nodes": nested(5000)},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [10**400]}}]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [math.inf]}}]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "params": [1]}]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "inputs": "y", "params": {}}]},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": ["Input"]}], "outputs": "x"},
           {"format": "layerlab.graph/1", "name": "x", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}}],
            "outputs": [{"x": 1}]}]


@pytest.mark.parametrize("doc", GARBAGE)
def test_it_never_raises_on_garbage(doc):
    summary = summarize(doc)
    assert set(summary) == KEYS and summary["valid"] is False and summary["errors"]
    for error in summary["errors"]:
        assert set(error) == {"node", "param", "message"} and isinstance(error["message"], str)
    json.dumps(summary)


def test_it_still_lists_every_node_of_an_invalid_design():
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["nodes"][2]["params"]["kernel_size"] = 999
    summary = summarize(doc)
    assert set(summary["nodes"]) == {"image", "conv1", "pool1", "flat", "logits"}
    assert summary["nodes"]["conv1"]["output_shape"] == [32, 30, 30] and summary["nodes"]["flat"]["output_shape"] is None


def warnings_of(*nodes, outputs=None):
    summary = summarize(design(*nodes, outputs=outputs))
    assert summary["valid"], summary["errors"]
    return [(w["node"], w["param"], w["message"]) for w in summary["warnings"]]


def test_it_warns_of_a_final_softmax_before_cross_entropy():
    found = warnings_of(node("x", "Input", shape=[4]), node("fc", "Linear", "x", out_features=3, activation="softmax"))
    assert found[0][:2] == ("fc", "activation") and "cross-entropy" in found[0][2]
    found = warnings_of(node("x", "Input", shape=[4]), node("fc", "Linear", "x", out_features=3, activation="relu"),
                        node("p", "Softmax", "fc"))
    assert [w[:2] for w in found] == [("p", None)]


def test_it_warns_of_linear_on_an_image():
    found = warnings_of(node("x", "Input", shape=[3, 8, 8]), node("fc", "Linear", "x", out_features=3))
    assert found[0][0] == "fc" and "Flatten" in found[0][2]


def test_it_warns_of_nodes_that_reach_no_output():
    found = warnings_of(node("x", "Input", shape=[4]), node("a", "ReLU", "x"), node("b", "Tanh", "x"), outputs=["a"])
    assert found == [("b", None, "b: leads to no output, so it has no effect on the model")]


def test_it_warns_of_stacked_linear_layers_without_an_activation():
    found = warnings_of(node("x", "Input", shape=[4]), node("fc1", "Linear", "x", out_features=8),
                        node("drop", "Dropout", "fc1"), node("fc2", "Linear", "drop", out_features=2))
    assert found[0][:2] == ("fc1", "activation") and "fc2" in found[0][2]


def test_it_warns_of_dropout_at_the_output_and_before_batchnorm():
    found = warnings_of(node("x", "Input", shape=[4]), node("drop", "Dropout", "x"), node("bn", "BatchNorm1d", "drop"),
                        node("fc", "Linear", "bn", out_features=4, activation="relu"), node("out", "Dropout", "fc"))
    assert [w[0] for w in found] == ["out", "bn"]


def test_it_warns_when_an_image_shrinks_to_one_pixel_too_early():
    found = warnings_of(node("x", "Input", shape=[3, 4, 4]), node("pool", "MaxPool2d", "x", kernel_size=4),
                        node("conv", "Conv2d", "pool", out_channels=4, kernel_size=3, padding=1, activation="relu"),
                        node("flat", "Flatten", "conv"))
    assert found[0][0] == "pool" and "1×1" in found[0][2]


def test_it_warns_of_one_layer_holding_most_parameters():
    found = warnings_of(node("x", "Input", shape=[64, 32, 32]), node("flat", "Flatten", "x"),
                        node("fc", "Linear", "flat", out_features=32, activation="relu"),
                        node("out", "Linear", "fc", out_features=10))
    assert found[0][0] == "fc" and "2,097,184" in found[0][2]


def test_it_gives_starter_designs_no_warnings():
    for starter in starter_designs():
        assert summarize(starter["document"])["warnings"] == [], starter["slug"]


def test_it_summarizes_a_checked_graph_like_its_document():
    from builder.document import check_document

    assert summarize(check_document(SPEC_EXAMPLE)) == summarize(SPEC_EXAMPLE)
