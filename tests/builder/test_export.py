"""Exported PyTorch source, ONNX and TorchScript give the compiled model's outputs from its weights."""
import io

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from builder.compile import compile_graph
from builder.document import check_document
from builder.errors import GraphInvalid
from builder.export import export_onnx, export_pt2, export_pytorch, export_torchscript
from builder.templates import starter_designs
from tests.builder.designs import SPEC_EXAMPLE, design, example_design, examples, node, sample

STARTERS = [pytest.param(s["document"], id=s["slug"]) for s in starter_designs()]
BLOCK_DESIGNS = [pytest.param(example_design(t, i)[0], id=f"{t}-{i}") for t, i in examples()]
# An Input that is itself the output cannot be an ONNX input and output of the same name.
COMPUTING = [p for p in BLOCK_DESIGNS if not p.id.startswith("Input-")]
# Names a torch module already has are fine where no attribute is made: an Input, a weightless block.
MODULE_NAMES = [pytest.param(design(node("meta", "Input", shape=[4]), node("training", "ReLU", "meta"),
                                    node("lin", "Linear", "training", out_features=3)), id="input-named-meta")]


def batch_for(doc, n):
    graph = check_document(doc)
    return [sample(graph.by_id[i].params["shape"], graph.by_id[i].params["dtype"], n=n, high=5) for i in graph.inputs]


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("doc", STARTERS + BLOCK_DESIGNS + MODULE_NAMES)
def test_it_exports_source_that_loads_the_compiled_weights(doc):
    torch.manual_seed(1)
    model = compile_graph(doc)
    source = export_pytorch(doc)
    namespace = {}
    exec(compile(source, "exported.py", "exec"), namespace)  # a fresh namespace: only what the source imports
    cls = next(v for k, v in namespace.items() if isinstance(v, type) and issubclass(v, torch.nn.Module) and k != "Module")
    exported = cls().eval()
    exported.load_state_dict(model.state_dict())  # strict: identical keys and shapes
    assert sum(p.numel() for p in exported.parameters()) == sum(p.numel() for p in model.parameters())
    x = batch_for(doc, 3)
    for got, want in zip(as_tuple(exported(*x)), as_tuple(model(*x))):
        torch.testing.assert_close(got, want)


def test_it_writes_readable_source():
    source = export_pytorch(SPEC_EXAMPLE)
    assert "class SeedCnn(nn.Module):" in source
    assert "self.conv1 = nn.Conv2d(in_channels=3, out_channels=32, kernel_size=3)" in source
    assert "pool1 = self.pool1(conv1)  # (N, 32, 15, 15)" in source
    assert "= None" not in source and "torch._C" not in source


@pytest.mark.parametrize("doc", STARTERS + COMPUTING + MODULE_NAMES)
def test_it_exports_onnx_with_a_dynamic_batch(doc):
    torch.manual_seed(2)
    model = compile_graph(doc)
    graph = check_document(doc)
    proto = export_onnx(model, doc)
    onnx.checker.check_model(onnx.load_from_string(proto))
    session = onnxruntime.InferenceSession(proto, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == graph.inputs
    assert [o.name for o in session.get_outputs()] == graph.outputs
    for n in (1, 5):
        x = batch_for(doc, n)
        got = session.run(None, {name: t.numpy() for name, t in zip(graph.inputs, x)})
        with torch.no_grad():
            want = as_tuple(model(*x))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("doc", STARTERS + MODULE_NAMES)
def test_it_exports_torchscript_that_loads_from_bytes(doc):
    torch.manual_seed(3)
    model = compile_graph(doc)
    model.train()
    loaded = torch.jit.load(io.BytesIO(export_torchscript(model, doc)))
    assert model.training  # exporting leaves the caller's module as it was
    model.eval()
    for n in (1, 4):
        x = batch_for(doc, n)
        for got, want in zip(as_tuple(loaded(*x)), as_tuple(model(*x))):
            torch.testing.assert_close(got, want)


@pytest.mark.parametrize("doc", STARTERS)
def test_it_exports_a_pt2_program_with_a_dynamic_batch(doc):
    torch.manual_seed(5)
    model = compile_graph(doc)
    model.train()
    program = torch.export.load(io.BytesIO(export_pt2(model, doc)))  # our own file: loading it is safe here
    assert model.training
    model.eval()
    loaded = program.module()
    for n in (1, 4):
        x = batch_for(doc, n)
        for got, want in zip(as_tuple(loaded(*x)), as_tuple(model(*x))):
            torch.testing.assert_close(got, want)


def test_it_keeps_torchscripts_deprecation_notice_from_users():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export_torchscript(compile_graph(SPEC_EXAMPLE), SPEC_EXAMPLE)
    assert not [w for w in caught if "deprecated" in str(w.message)]


def test_it_exports_several_outputs_and_inputs():
    doc = design(node("b", "Input", shape=[3]), node("a", "Input", shape=[2]), node("joined", "Concat", "a", "b"),
                 node("neg", "Tanh", "b"), outputs=["neg", "joined"])
    model = compile_graph(doc)
    session = onnxruntime.InferenceSession(export_onnx(model, doc), providers=["CPUExecutionProvider"])
    b, a = torch.randn(4, 3), torch.randn(4, 2)
    neg, joined = session.run(None, {"b": b.numpy(), "a": a.numpy()})
    np.testing.assert_allclose(joined, torch.cat([a, b], 1).numpy(), rtol=1e-6)
    assert "return (neg, joined)" in export_pytorch(doc)


def test_it_says_what_onnx_cannot_pool():
    doc = design(node("x", "Input", shape=[3, 10]), node("pool", "AdaptiveAvgPool1d", "x", output_size=4))
    with pytest.raises(GraphInvalid) as caught:
        export_onnx(compile_graph(doc), doc)
    assert (caught.value.errors[0].node, caught.value.errors[0].param) == ("pool", "output_size")
