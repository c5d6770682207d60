"""Keras model JSON (Keras 2 and 3 formats) imported as designs, parameter counts checked by formula."""
import json

import pytest
import torch

from builder.compile import compile_graph
from builder.importers import ImportLimits, ImportRefused, import_file
from builder.summary import summarize
from tests.builder.keras_json import both, keras2, keras3, layer, tutorial_cnn, wired


def seq(*layers):
    return list(layers)


def chain(*layers):
    """Functional wiring of a plain chain."""
    return [wired(l, layers[i - 1]["name"]) if i else l for i, l in enumerate(layers)]


def conv(k, cin, cout, bias=True, groups=1):
    return k * cin // groups * cout + (cout if bias else 0)


def dense(fin, fout, bias=True):
    return fin * fout + (fout if bias else 0)


def keras_rnn(gates, f, h, biases=1):
    return gates * (f * h + h * h + biases * h)


def torch_rnn(gates, f, h):
    return gates * (f * h + h * h + 2 * h)


inp = lambda *shape, **kw: layer("InputLayer", "inp", batch_input_shape=[None, *shape], **kw)  # noqa: E731

# (id, layers, functional, Keras trainable params, LayerLab params, LayerLab output shape, block types in order)
CASES = [
    ("conv1d", seq(inp(20, 4), layer("Conv1D", "c1", filters=8, kernel_size=[3])), False,
     conv(3, 4, 8), conv(3, 4, 8), [8, 18], ["Input", "Conv1d"]),
    ("conv2d-same-groups", seq(inp(10, 10, 4), layer("Conv2D", "c2", filters=6, kernel_size=[3, 3], padding="same", groups=2,
                                                     use_bias=False, dilation_rate=[1, 1])), False,
     conv(9, 4, 6, False, 2), conv(9, 4, 6, False, 2), [6, 10, 10], ["Input", "Conv2d"]),
    ("pool1d", seq(inp(20, 4), layer("MaxPooling1D", "mp", pool_size=[2]), layer("AveragePooling1D", "ap", pool_size=[2], strides=[1])),
     False, 0, 0, [4, 9], ["Input", "MaxPool1d", "AvgPool1d"]),
    ("pool2d-gap", seq(inp(8, 8, 3), layer("MaxPooling2D", "mp", pool_size=[2, 2]), layer("AveragePooling2D", "ap", pool_size=[2, 2]),
                       layer("GlobalAveragePooling2D", "gap"), layer("Dense", "out", units=5)), False,
     dense(3, 5), dense(3, 5), [5], ["Input", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Flatten", "Linear"]),
    ("gap1d", seq(inp(12, 3), layer("Conv1D", "c", filters=4, kernel_size=3), layer("GlobalAveragePooling1D", "gap"),
                  layer("Dense", "out", units=2)), False,
     conv(3, 3, 4) + dense(4, 2), conv(3, 3, 4) + dense(4, 2), [2], ["Input", "Conv1d", "AdaptiveAvgPool1d", "Flatten", "Linear"]),
    ("dense-dropout-activation", seq(inp(10), layer("Dense", "h", units=7, activation="tanh"), layer("Dropout", "drop", rate=0.3),
                                     layer("Activation", "act", activation="sigmoid"),
                                     layer("Dense", "out", units=3, activation="softmax")), False,
     dense(10, 7) + dense(7, 3), dense(10, 7) + dense(7, 3), [3], ["Input", "Linear", "Dropout", "Sigmoid", "Linear"]),
    ("batchnorm", seq(inp(6, 6, 3), layer("BatchNormalization", "bn1", axis=-1), layer("Flatten", "flat"),
                      layer("BatchNormalization", "bn2", axis=[1]), layer("Dense", "out", units=2)), False,
     2 * 3 + 2 * 108 + dense(108, 2), 2 * 3 + 2 * 108 + dense(108, 2), [2], ["Input", "BatchNorm2d", "Flatten", "BatchNorm1d", "Linear"]),
    ("layernorm", seq(inp(5, 8), layer("LayerNormalization", "ln", axis=[-1])), False, 16, 16, [5, 8], ["Input", "LayerNorm"]),
    ("simple-rnn", seq(inp(7, 4), layer("SimpleRNN", "r1", units=6, return_sequences=True), layer("SimpleRNN", "r2", units=5)), False,
     keras_rnn(1, 4, 6) + keras_rnn(1, 6, 5), torch_rnn(1, 4, 6) + torch_rnn(1, 6, 5), [5], ["Input", "RNN", "RNN"]),
    ("lstm", seq(inp(7, 4), layer("LSTM", "l", units=6)), False, keras_rnn(4, 4, 6), torch_rnn(4, 4, 6), [6], ["Input", "LSTM"]),
    ("gru-reset-after", seq(inp(7, 4), layer("GRU", "g", units=6, reset_after=True)), False,
     keras_rnn(3, 4, 6, 2), torch_rnn(3, 4, 6), [6], ["Input", "GRU"]),
    ("gru-classic", seq(inp(7, 4), layer("GRU", "g", units=6, reset_after=False)), False,
     keras_rnn(3, 4, 6, 1), torch_rnn(3, 4, 6), [6], ["Input", "GRU"]),
    ("bidirectional", seq(inp(7, 4), layer("Bidirectional", "bl", layer=layer("LSTM", "x", units=5, return_sequences=True)),
                          layer("Bidirectional", "bg", layer=layer("GRU", "y", units=3)), layer("Dense", "out", units=2)), False,
     2 * keras_rnn(4, 4, 5) + 2 * keras_rnn(3, 10, 3, 2) + dense(6, 2),
     2 * torch_rnn(4, 4, 5) + 2 * torch_rnn(3, 10, 3) + dense(6, 2), [2], ["Input", "LSTM", "GRU", "Linear"]),
    ("embedding", seq(inp(12, dtype="int32"), layer("Embedding", "emb", input_dim=50, output_dim=8), layer("LSTM", "l", units=4),
                      layer("Dense", "out", units=1, activation="sigmoid")), False,
     50 * 8 + keras_rnn(4, 8, 4) + dense(4, 1), 50 * 8 + torch_rnn(4, 8, 4) + dense(4, 1), [1], ["Input", "Embedding", "LSTM", "Linear"]),
    ("add-concatenate", [inp(8), wired(layer("Dense", "a", units=4), "inp"), wired(layer("Dense", "b", units=4), "inp"),
                         wired(layer("Add", "s"), "a", "b"), wired(layer("Concatenate", "j", axis=-1), "a", "s"),
                         wired(layer("Dense", "out", units=2), "j")], True,
     2 * dense(8, 4) + dense(8, 2), 2 * dense(8, 4) + dense(8, 2), [2], ["Input", "Linear", "Linear", "Add", "Concat", "Linear"]),
    ("concatenate-channels", [inp(8, 8, 3), wired(layer("Conv2D", "c1", filters=4, kernel_size=1), "inp"),
                              wired(layer("Conv2D", "c2", filters=2, kernel_size=1), "inp"),
                              wired(layer("Concatenate", "j", axis=3), "c1", "c2"),
                              wired(layer("Conv2D", "c3", filters=5, kernel_size=1), "j")], True,
     conv(1, 3, 4) + conv(1, 3, 2) + conv(1, 6, 5), conv(1, 3, 4) + conv(1, 3, 2) + conv(1, 6, 5), [5, 8, 8],
     ["Input", "Conv2d", "Conv2d", "Concat", "Conv2d"]),
    ("reshape-permute", seq(inp(12), layer("Reshape", "r", target_shape=[3, 4]), layer("Permute", "p", dims=[2, 1]),
                            layer("Dense", "out", units=5)), False, dense(3, 5), dense(3, 5), [4, 5],
     ["Input", "Reshape", "Permute", "Linear"]),
    ("activation-layers", seq(inp(5), layer("ReLU", "r"), layer("LeakyReLU", "lr", alpha=0.1), layer("Softmax", "sm")), False,
     0, 0, [5], ["Input", "ReLU", "LeakyReLU", "Softmax"]),
]


@pytest.mark.parametrize("fmt", ["keras2", "keras3"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_it_imports_every_supported_layer_with_keras_parameter_counts(case, fmt):
    _, layers, functional, keras_params, params, out_shape, types = case
    data = dict(both(layers, functional=functional))[fmt]
    imported = import_file(data)
    summary = summarize(imported.document)
    assert summary["valid"], summary["errors"]
    assert summary["trainable_params"] == params == imported.report["params"]
    assert imported.report["keras_params"] == keras_params
    assert summary["output_shape"] == out_shape
    layer_names = {l["name"] for l in layers}
    added = [n for n in imported.document["nodes"] if n["id"] not in layer_names]  # layout Permutes, GAP's Flatten
    assert all(n["id"].endswith(("_permute", "_flat")) for n in added)
    assert [n["type"] for n in imported.document["nodes"] if not n["id"].endswith("_permute")] == types
    if params != keras_params:  # PyTorch builds the layer differently: the report says so, with both figures
        notes = " ".join(imported.report["notes"])
        differing = [l for l in imported.report["layers"] if l.get("params") != l.get("keras_params")]
        assert differing and all(f"{l['params']:,} parameters here and {l['keras_params']:,} in Keras" in notes for l in differing)
    assert imported.report["format"] == ("Keras 3 " if fmt == "keras3" else "Keras 2 ") + ("Functional" if functional else "Sequential")


@pytest.mark.parametrize("fmt", ["keras2", "keras3"])
def test_it_imports_the_tutorial_cnn_with_122570_parameters(fmt):
    imported = import_file(dict(both(tutorial_cnn()))[fmt])
    assert imported.report["params"] == imported.report["keras_params"] == 122_570
    assert [n["id"] for n in imported.document["nodes"]] == [l["name"] for l in tutorial_cnn()]
    assert imported.document["nodes"][0]["params"] == {"shape": [3, 32, 32]}
    assert any("flattens channels-first" in n for n in imported.report["notes"])
    assert imported.weights is None and imported.report["weights"] is False


def test_it_computes_what_keras_computes_across_layouts():
    """Conv2D (channels-last) then Reshape then Dense: the design gets a Permute so the values line up as in Keras."""
    layers = seq(inp(4, 4, 2), layer("Conv2D", "c", filters=3, kernel_size=1), layer("Reshape", "r", target_shape=[16, 3]),
                 layer("Dense", "d", units=2))
    doc = import_file(json.dumps(keras3(layers)).encode()).document
    torch.manual_seed(0)
    model = compile_graph(doc)
    state = model.state_dict()
    x = torch.randn(2, 4, 4, 2)  # Keras's layout
    # Keras, written out: a 1×1 conv mixes channels at each pixel, reshape is row-major over [H, W, C].
    w = state["c.weight"][:, :, 0, 0]  # [out, in]
    conv_out = torch.einsum("nhwi,oi->nhwo", x, w) + state["c.bias"]
    want = conv_out.reshape(2, 16, 3) @ state["d.weight"].T + state["d.bias"]
    got = model(x.permute(0, 3, 1, 2))  # LayerLab's layout
    torch.testing.assert_close(got, want)


def test_it_renames_layers_whose_names_are_not_ids():
    layers = seq(inp(4), layer("Dense", "dense/1", units=2), layer("Dense", "class", units=2))
    imported = import_file(json.dumps(keras2(layers)).encode())
    assert [n["id"] for n in imported.document["nodes"]] == ["inp", "dense_1", "class_"]
    assert any("'dense/1' → dense_1" in n for n in imported.report["notes"])


REFUSALS = [
    ("unknown layer", seq(inp(4), layer("Conv3D", "c3", filters=2, kernel_size=1)), "layer 'c3' is a Conv3D, which LayerLab cannot import"),
    ("unknown size", seq(inp(None, 4), layer("LSTM", "l", units=2)), "unknown (None) size"),
    ("uneven padding", seq(inp(8, 8, 1), layer("Conv2D", "c", filters=2, kernel_size=3, strides=2, padding="same")), "pads unevenly"),
    ("return_state", seq(inp(5, 2), layer("LSTM", "l", units=2, return_state=True)), "return_state is not supported"),
    ("merge mode", seq(inp(5, 2), layer("Bidirectional", "b", layer=layer("LSTM", "x", units=2), merge_mode="sum")), 'merge_mode "concat"'),
    ("custom activation", seq(inp(5), layer("Dense", "d", units=2, activation="mish")), "activation 'mish' is not supported"),
    ("nested model", seq(inp(5), layer("Sequential", "inner", layers=[])), "nested Sequential"),
    ("invalid design", seq(inp(3, 3, 1), layer("Conv2D", "c", filters=2, kernel_size=5)), "the design is not valid"),
]


@pytest.mark.parametrize("fmt", ["keras2", "keras3"])
@pytest.mark.parametrize("layers,message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_it_refuses_what_it_cannot_map_by_name(layers, message, fmt):
    with pytest.raises(ImportRefused) as refused:
        import_file(dict(both(layers))[fmt])
    assert message in str(refused.value)


def test_it_refuses_a_shared_layer():
    doc = keras2([inp(4), wired(layer("Dense", "d", units=4), "inp"), wired(layer("Add", "s"), "d", "d")], functional=True)
    doc["config"]["layers"][1]["inbound_nodes"].append([["inp", 0, 0, {}]])
    with pytest.raises(ImportRefused, match="called 2 times"):
        import_file(json.dumps(doc).encode())


@pytest.mark.parametrize("data,message", [
    (b'{"class_name": "Sequential", "config": {"layers": [' + b"[" * 100 + b"]" * 100 + b"]}}", "nested more than 64 levels"),
    (b'{"class_name": "Sequential", "config": ', "not valid JSON"),
    (b'{"class_name": "Dense", "config": {}}', "neither a LayerLab design nor a Keras model"),
    (b"\xff{", "neither JSON nor a readable ONNX model"),
    (b"", "empty"),
])
def test_it_refuses_hostile_or_malformed_json(data, message):
    with pytest.raises(ImportRefused) as refused:
        import_file(data)
    assert message in str(refused.value)


def test_it_refuses_json_over_the_size_limit():
    data = json.dumps(keras2(tutorial_cnn())).encode()
    with pytest.raises(ImportRefused, match="more than the limit"):
        import_file(data, limits=ImportLimits(max_json_bytes=len(data) - 1))


@pytest.mark.parametrize("spoil,message", [
    (lambda d: d["config"]["layers"][1].update(inbound_nodes=[]), "reads 0 tensors"),
    (lambda d: d["config"]["layers"][1].update(class_name=["Dense"]), "LayerLab cannot import"),
    (lambda d: d["config"]["layers"][1]["config"].update(activation={"class_name": "Mish"}), "activation 'Mish'"),
])
def test_it_names_the_problem_in_a_spoiled_functional_model(spoil, message):
    doc = keras3([inp(4), wired(layer("Dense", "d", units=2), "inp")], functional=True)
    spoil(doc)
    with pytest.raises(ImportRefused) as refused:
        import_file(json.dumps(doc).encode())
    assert message in str(refused.value)


def test_it_reads_the_input_shape_from_the_first_layer_without_an_input_layer():
    k2 = keras2([layer("Dense", "h", units=3, batch_input_shape=[None, 5]), layer("Dense", "out", units=2)])
    k3 = keras3([layer("Dense", "h", units=3), layer("Dense", "out", units=2)])
    k3["config"]["layers"][0]["build_config"] = {"input_shape": [None, 5]}
    for doc in (k2, k3):
        imported = import_file(json.dumps(doc).encode())
        assert imported.document["nodes"][0] == {"id": "input", "type": "Input", "params": {"shape": [5]}}
        assert imported.report["params"] == dense(5, 3) + dense(3, 2)
    del k3["config"]["layers"][0]["build_config"]
    with pytest.raises(ImportRefused, match="does not say its input shape"):
        import_file(json.dumps(k3).encode())
