import json

import pytest
import torch
import torch.utils.flop_counter

from builder.blocks import BLOCKS, GROUPS, catalogue
from builder.compile import compile_graph
from builder.summary import summarize
from tests.builder.designs import example_design, examples

SPEC_TABLE = {  # graph-format.md: every type with its parameters and defaults (None: required)
    "Input": {"shape": None, "dtype": "float32"},
    "Linear": {"out_features": None, "bias": True, "activation": None},
    "Conv1d": {"out_channels": None, "kernel_size": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1,
               "bias": True, "activation": None},
    "MaxPool1d": {"kernel_size": None, "stride": None, "padding": 0},
    "AdaptiveAvgPool1d": {"output_size": None}, "AdaptiveAvgPool2d": {"output_size": None},
    "BatchNorm1d": {"eps": 1e-5, "momentum": 0.1}, "BatchNorm2d": {"eps": 1e-5, "momentum": 0.1},
    "LayerNorm": {"eps": 1e-5}, "Dropout": {"p": 0.5}, "Flatten": {}, "Reshape": {"shape": None},
    "Permute": {"dims": None}, "Embedding": {"num_embeddings": None, "embedding_dim": None, "padding_idx": None},
    "RNN": {"hidden_size": None, "num_layers": 1, "nonlinearity": "tanh", "bidirectional": False, "dropout": 0,
            "return_sequences": False},
    "LSTM": {"hidden_size": None, "num_layers": 1, "bidirectional": False, "dropout": 0, "return_sequences": False},
    "ReLU": {}, "ELU": {}, "GELU": {}, "SiLU": {}, "Sigmoid": {}, "Tanh": {},
    "LeakyReLU": {"negative_slope": 0.01}, "Softmax": {"dim": -1}, "LogSoftmax": {"dim": -1}, "Add": {},
    "Concat": {"dim": 0},
}
SPEC_TABLE["Conv2d"] = SPEC_TABLE["Conv1d"]
SPEC_TABLE["GRU"] = SPEC_TABLE["LSTM"]
for _t in ("AvgPool1d", "MaxPool2d", "AvgPool2d"):
    SPEC_TABLE[_t] = SPEC_TABLE["MaxPool1d"]


def test_it_has_every_block_of_the_spec_with_its_params_and_defaults():
    assert set(BLOCKS) == set(SPEC_TABLE)
    for type_, params in SPEC_TABLE.items():
        spec = BLOCKS[type_]
        got = {p.name: (None if p.required else p.default) for p in spec.params}
        assert got == params, type_
        assert spec.group in GROUPS


def test_it_marks_required_params_and_arity():
    assert BLOCKS["Input"].arity == 0 and BLOCKS["Add"].arity == 2 and BLOCKS["Conv2d"].arity == 1
    assert [p.name for p in BLOCKS["Conv2d"].params if p.required] == ["out_channels", "kernel_size"]


def test_it_serves_a_json_catalogue():
    entries = json.loads(json.dumps(catalogue()))
    assert [e["type"] for e in entries] == list(BLOCKS)
    conv = next(e for e in entries if e["type"] == "Conv2d")
    assert conv["group"] == "convolution and pooling" and conv["arity"] == 1 and "Shape:" in conv["doc"]
    kernel = next(p for p in conv["params"] if p["name"] == "kernel_size")
    assert kernel["required"] and kernel["type"] == "int-or-pair" and kernel["min"] == 1 and kernel["help"]
    dropout = next(e for e in entries if e["type"] == "Dropout")["params"][0]
    assert dropout["default"] == 0.5 and dropout["max"] == 1 and dropout["max_exclusive"]


@pytest.mark.parametrize("type_,index", examples())
def test_it_compiles_every_block_to_the_inferred_shape_and_param_count(type_, index):
    doc, batch = example_design(type_, index)
    summary = summarize(doc)
    assert summary["valid"], summary["errors"]
    model = compile_graph(doc)
    model.train()  # BatchNorm and Dropout too must keep the shape
    out = model(*batch)
    assert tuple(out.shape) == (3, *summary["output_shape"])
    assert summary["params"] == sum(p.numel() for p in model.parameters())
    assert str(out.dtype) == "torch." + summary["nodes"][doc["outputs"][0] if "outputs" in doc else "x0"]["dtype"]
    assert torch.isfinite(out.float()).all()
    if out.requires_grad:
        out.float().sum().backward()  # trainable end to end


@pytest.mark.parametrize("type_,index", examples())
def test_it_counts_flops_as_flop_counter_mode(type_, index):
    doc, batch = example_design(type_, index)
    model = compile_graph(doc).to("meta")  # the spec counts on the meta device (CPU runs fused LSTM kernels uncounted)
    with torch.utils.flop_counter.FlopCounterMode(display=False) as counter:
        model(*[x[:1].to("meta") for x in batch])  # one sample through the whole compiled graph
    assert summarize(doc)["flops"] == counter.get_total_flops()
