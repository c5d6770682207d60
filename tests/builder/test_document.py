import pytest

from builder.document import Limits, check_document, ends_in_softmax
from builder.errors import GraphInvalid
from tests.builder.designs import SPEC_EXAMPLE, design, node

IMAGE = node("image", "Input", shape=[3, 8, 8])


def errors_of(doc, limits=Limits()):
    with pytest.raises(GraphInvalid) as caught:
        check_document(doc, limits)
    return [e.as_dict() for e in caught.value.errors]


def first_error(doc, limits=Limits()):
    return errors_of(doc, limits)[0]


def test_it_reads_the_spec_example_in_topological_order_with_defaults():
    doc = design(*reversed(SPEC_EXAMPLE["nodes"]), name="seed-cnn")
    graph = check_document(doc)
    assert [n.id for n in graph.nodes] == ["image", "conv1", "pool1", "flat", "logits"]
    assert graph.outputs == ["logits"] and graph.inputs == ["image"] and graph.name == "seed-cnn"
    conv = graph.by_id["conv1"]
    assert conv.params == {"out_channels": 32, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 1,
                           "groups": 1, "bias": True, "activation": "relu"}
    assert graph.by_id["pool1"].params["stride"] is None


def test_it_keeps_inputs_in_document_order():
    doc = design(node("b", "Input", shape=[2]), node("a", "Input", shape=[2]), node("sum", "Add", "a", "b"))
    assert check_document(doc).inputs == ["b", "a"]


@pytest.mark.parametrize("doc,param", [
    (None, None), ([], None), ("text", None),
    ({"format": "other", "name": "x", "nodes": [IMAGE]}, "format"),
    ({"format": "layerlab.graph/1", "name": "", "nodes": [IMAGE]}, "name"),
    ({"format": "layerlab.graph/1", "name": "x" * 101, "nodes": [IMAGE]}, "name"),
    ({"format": "layerlab.graph/1", "name": "x", "nodes": {"a": 1}}, "nodes"),
])
def test_it_rejects_what_is_not_a_document(doc, param):
    error = first_error(doc)
    assert error["param"] == param and error["message"]


def test_it_checks_the_node_count_before_anything_else():
    doc = design(*[node(f"n{i}", "Bogus") for i in range(501)])
    assert errors_of(doc) == [{"node": None, "param": "nodes",
                               "message": "the design has 501 nodes, more than the limit of 500"}]
    assert first_error(design(IMAGE, node("a", "ReLU", "image")), Limits(max_nodes=1))["param"] == "nodes"


@pytest.mark.parametrize("bad_id", ["1conv", "conv-1", "class", "x" * 65, 7, None, "", "self", "café", "ｌｉｎ"])
def test_it_rejects_bad_ids(bad_id):
    error = first_error(design({"id": bad_id, "type": "Input", "params": {"shape": [2]}}))
    assert error["param"] == "id" and "id" in error["message"]


def test_it_rejects_ids_python_would_fold_into_another():
    # NFKC makes the full-width twin the same Python name as "lin": export would break.
    doc = design(node("x", "Input", shape=[4]), node("lin", "Linear", "x", out_features=3),
                 node("ｌｉｎ", "Linear", "lin", out_features=2))
    assert first_error(doc) == {
        "node": None, "param": "id",
        "message": "node 3: id 'ｌｉｎ' has the letter 'ｌ', which is not plain ASCII; ids are ASCII names like conv1: "
                   "letters a-z and A-Z, digits and _"}


@pytest.mark.parametrize("name", ["forward", "training", "meta", "parameters"])
def test_it_rejects_module_names_only_for_blocks_stored_on_the_model(name):
    error = first_error(design(node("x", "Input", shape=[4]), node(name, "Linear", "x", out_features=3)))
    assert error == {"node": name, "param": "id", "message": f"{name}: a Linear is stored on the model as "
                                                            f"self.{name}, which every torch module already has; pick another id"}
    graph = check_document(design(node(name, "Input", shape=[4]), node("act", "ReLU", name)))
    assert graph.inputs == [name]


def test_it_rejects_a_duplicate_id():
    error = first_error(design(IMAGE, node("image", "ReLU", "image")))
    assert error == {"node": "image", "param": "id", "message": "image: two nodes have this id; ids must be unique"}


def test_it_rejects_an_unknown_type_and_lists_the_known_ones():
    error = first_error(design(IMAGE, node("conv", "Conv3d", "image")))
    assert error["node"] == "conv" and error["param"] == "type"
    assert "'Conv3d'" in error["message"] and "Conv2d" in error["message"]


@pytest.mark.parametrize("params,param,words", [
    ({"out_channels": 8, "kernel_size": 3, "colour": "red"}, "colour", "has no parameter 'colour'"),
    ({"kernel_size": 3}, "out_channels", "needs out_channels"),
    ({"out_channels": 0, "kernel_size": 3}, "out_channels", "from 1"),
    ({"out_channels": 10**30, "kernel_size": 3}, "out_channels", "from 1 to"),
    ({"out_channels": 8.5, "kernel_size": 3}, "out_channels", "whole number"),
    ({"out_channels": True, "kernel_size": 3}, "out_channels", "whole number"),
    ({"out_channels": 8, "kernel_size": [3, 3, 3]}, "kernel_size", "pair"),
    ({"out_channels": 8, "kernel_size": 3, "padding": "valid"}, "padding", '"same"'),
    ({"out_channels": 8, "kernel_size": 3, "bias": "yes"}, "bias", "true or false"),
    ({"out_channels": 8, "kernel_size": 3, "activation": "swish"}, "activation", "one of"),
])
def test_it_names_the_param_that_is_unknown_missing_out_of_range_or_wrongly_typed(params, param, words):
    error = first_error(design(IMAGE, {"id": "conv", "type": "Conv2d", "inputs": ["image"], "params": params}))
    assert (error["node"], error["param"]) == ("conv", param)
    assert words in error["message"] and error["message"].startswith("conv: ")


@pytest.mark.parametrize("p", [1.0, -0.1, float("nan"), float("inf"), "0.5", None])
def test_it_keeps_dropout_below_one(p):
    error = first_error(design(IMAGE, node("drop", "Dropout", "image", p=p)))
    assert (error["node"], error["param"]) == ("drop", "p")


@pytest.mark.parametrize("shape", [[], [0, 3], [-1], [2, 2, 2, 2, 2], "3x3", [2.5]])
def test_it_rejects_bad_input_shapes(shape):
    assert first_error(design(node("x", "Input", shape=shape)))["param"] == "shape"


def test_it_allows_one_wildcard_in_reshape_only():
    ok = design(node("x", "Input", shape=[12]), node("r", "Reshape", "x", shape=[3, -1]))
    assert check_document(ok).by_id["r"].params["shape"] == (3, -1)
    error = first_error(design(node("x", "Input", shape=[12]), node("r", "Reshape", "x", shape=[-1, -1])))
    assert (error["node"], error["param"]) == ("r", "shape")


def test_it_rejects_an_input_that_names_no_node():
    error = first_error(design(IMAGE, node("relu", "ReLU", "imgae")))
    assert error == {"node": "relu", "param": "inputs", "message": "relu: its input 'imgae' names no node"}


@pytest.mark.parametrize("inputs,words", [([], "exactly one"), (["image", "image"], "exactly one")])
def test_it_rejects_the_wrong_number_of_inputs(inputs, words):
    error = first_error(design(IMAGE, {"id": "relu", "type": "ReLU", "inputs": inputs}))
    assert (error["node"], error["param"]) == ("relu", "inputs") and words in error["message"]


def test_it_wants_two_inputs_for_add_and_none_for_input():
    assert first_error(design(IMAGE, node("sum", "Add", "image")))["node"] == "sum"
    error = first_error(design(IMAGE, node("other", "Input", "image", shape=[2])))
    assert (error["node"], error["param"]) == ("other", "inputs")


def test_it_finds_a_cycle():
    doc = design(IMAGE, node("a", "Add", "image", "c"), node("b", "ReLU", "a"), node("c", "ReLU", "b"),
                 node("out", "ReLU", "c"))
    error = first_error(doc)
    assert (error["node"], error["param"]) == ("a", "inputs")
    assert "loop" in error["message"] and "a → b → c → a" in error["message"]


def test_it_finds_a_self_loop():
    error = first_error(design(IMAGE, node("a", "Add", "image", "a")))
    assert error["node"] == "a" and "loop" in error["message"]


def test_it_needs_an_input_node():
    error = first_error(design(node("a", "ReLU", "b"), node("b", "ReLU", "a")))
    assert error == {"node": None, "param": None,
                     "message": "the design has no Input node; add one to say what the model reads"}


def test_it_needs_outputs_that_name_nodes_or_a_single_end():
    assert first_error(design(IMAGE, outputs=["nowhere"]))["param"] == "outputs"
    assert first_error(design(IMAGE, outputs=[]))["param"] == "outputs"
    error = first_error(design(IMAGE, node("a", "ReLU", "image"), node("b", "Tanh", "image")))
    assert error["param"] == "outputs" and "2 ends (a, b)" in error["message"]
    assert check_document(design(IMAGE, node("a", "ReLU", "image"), node("b", "Tanh", "image"),
                                 outputs=["b", "a"])).outputs == ["b", "a"]


def test_it_reports_every_bad_node_at_once():
    doc = design(IMAGE, node("a", "Linear", "image"), node("b", "Linear", "a", out_features=-1))
    assert [(e["node"], e["param"]) for e in errors_of(doc)] == [("a", "out_features"), ("b", "out_features")]


def test_it_tells_when_a_design_ends_in_softmax():
    plain = design(node("x", "Input", shape=[4]), node("fc", "Linear", "x", out_features=3))
    assert not ends_in_softmax(check_document(plain))
    plain["nodes"][1]["params"]["activation"] = "softmax"
    assert ends_in_softmax(check_document(plain))
    explicit = design(node("x", "Input", shape=[4]), node("fc", "Linear", "x", out_features=3), node("p", "Softmax", "fc"))
    assert ends_in_softmax(check_document(explicit))
