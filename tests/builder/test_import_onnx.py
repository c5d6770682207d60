"""ONNX files imported as designs with starting weights: LayerLab's own exports come back as the same design,
and exporting the import again gives the same outputs (onnxruntime, 1e-4)."""
import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from onnx import TensorProto, helper

from builder.compile import compile_graph
from builder.document import check_document
from builder.export import export_onnx
from builder.importers import ImportLimits, ImportRefused, import_file
from builder.templates import starter_designs
from tests.builder.designs import example_design, examples, sample

STARTERS = [pytest.param(s["document"], id=s["slug"]) for s in starter_designs()]
# Designs of one block each; an Input that is itself the output, or a lone Dropout (gone in an inference export),
# leaves ONNX nothing to carry.
BLOCKS = [pytest.param(example_design(t, i)[0], id=f"{t}-{i}") for t, i in examples() if t not in ("Input", "Dropout")]


def canonical(doc):
    return [(n.id, n.type, n.inputs, n.params) for n in check_document(doc).nodes], check_document(doc).outputs


def without_design(proto: bytes) -> bytes:
    model = onnx.load_from_string(proto)
    del model.metadata_props[:]
    return model.SerializeToString()


def outputs(proto: bytes, doc, n=4):
    graph = check_document(doc)
    torch.manual_seed(7)
    feed = {i: sample(graph.by_id[i].params["shape"], graph.by_id[i].params["dtype"], n=n, high=5).numpy() for i in graph.inputs}
    return onnxruntime.InferenceSession(proto, providers=["CPUExecutionProvider"]).run(None, feed)


def reexport(imported):
    model = compile_graph(imported.document)
    if imported.weights is not None:
        model.load_state_dict(imported.weights, strict=True)
    return export_onnx(model, imported.document)


@pytest.mark.parametrize("doc", STARTERS + BLOCKS)
def test_it_round_trips_layerlab_exports_to_the_same_design_and_outputs(doc):
    torch.manual_seed(3)
    proto = export_onnx(compile_graph(doc), doc)
    imported = import_file(proto, "model.onnx")
    assert canonical(imported.document) == canonical(doc)
    for got, want in zip(outputs(reexport(imported), doc), outputs(proto, doc)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("doc", STARTERS + BLOCKS)
def test_it_reads_the_graph_itself_when_the_file_carries_no_design(doc):
    """Any ONNX file, not only LayerLab's: blocks and weights come from the operators and initializers."""
    torch.manual_seed(4)
    proto = without_design(export_onnx(compile_graph(doc), doc))
    imported = import_file(proto, "model.onnx")
    assert imported.report["source"] == "onnx"
    assert (imported.weights is not None) == any(p.numel() for p in compile_graph(doc).parameters())
    for got, want in zip(outputs(reexport(imported), doc), outputs(proto, doc)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_it_maps_the_weighted_blocks_of_a_starter_by_their_names_without_the_design():
    doc = next(s["document"] for s in starter_designs() if s["slug"] == "mnist1d-bigru")
    imported = import_file(without_design(export_onnx(compile_graph(doc), doc)))
    assert canonical(imported.document) == canonical(doc)  # nothing here that ONNX leaves out (Dropout, padding_idx)


def test_it_ignores_an_embedded_design_that_computes_something_else():
    doc = next(s["document"] for s in starter_designs() if s["slug"] == "residual-block")
    model = onnx.load_from_string(export_onnx(compile_graph(doc), doc))
    lie = dict(doc, nodes=[dict(n, type="Tanh") if n["id"] == "act" else n for n in doc["nodes"]])
    import json

    helper.set_model_props(model, {"layerlab.graph": json.dumps(lie)})
    imported = import_file(model.SerializeToString())
    assert [n["type"] for n in imported.document["nodes"]].count("Tanh") == 0
    assert not any("exported by LayerLab" in n for n in imported.report["notes"])


def tiny_model(op: str = "Relu", external: bool = False, extra_nodes=()) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    w = helper.make_tensor("fc.weight", TensorProto.FLOAT, [3, 4], np.ones(12, np.float32))
    b = helper.make_tensor("fc.bias", TensorProto.FLOAT, [3], np.zeros(3, np.float32))
    if external:
        w.data_location = TensorProto.EXTERNAL
        w.ClearField("float_data")
        entry = w.external_data.add()
        entry.key, entry.value = "location", "/etc/passwd"
    nodes = [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="/fc/Gemm", transB=1),
             helper.make_node(op, ["h"], ["y"], name=f"/{op}"), *extra_nodes]
    return helper.make_model(helper.make_graph(nodes, "g", [x], [y], [w, b]), opset_imports=[helper.make_opsetid("", 17)])


def test_it_imports_a_hand_made_onnx_graph():
    imported = import_file(tiny_model().SerializeToString())
    # The Relu finishes the Gemm, so it becomes the Linear's inline activation, as LayerLab writes it.
    assert [(n["id"], n["type"], n.get("params")) for n in imported.document["nodes"]] == [
        ("x", "Input", {"shape": [4]}), ("fc", "Linear", {"out_features": 3, "activation": "relu"})]
    assert torch.equal(imported.weights["fc.weight"], torch.ones(3, 4))


@pytest.mark.parametrize("data,message", [
    (tiny_model("Sin").SerializeToString(), "operator Sin (node '/Sin') has no LayerLab block"),
    (tiny_model(external=True).SerializeToString(), "external file"),
    (b"\x08\x07\x12\xff\xff\xff\xff\x0f garbage", "readable ONNX model"),
    (b"PK\x03\x04 a .pt2 archive", "a .pt2 file cannot be imported"),
])
def test_it_refuses_unsupported_or_hostile_onnx_and_names_why(data, message):
    with pytest.raises(ImportRefused) as refused:
        import_file(data, "model.onnx")
    assert message in str(refused.value)


def test_it_refuses_files_over_the_size_limit_before_parsing():
    data = tiny_model().SerializeToString()
    with pytest.raises(ImportRefused, match="more than the limit"):
        import_file(data, limits=ImportLimits(max_bytes=len(data) - 1))


def test_it_refuses_a_pt2_file_even_when_torch_made_it():
    from builder.export import export_pt2
    doc = next(s["document"] for s in starter_designs() if s["slug"] == "digits-mlp")
    with pytest.raises(ImportRefused, match="unpickling"):
        import_file(export_pt2(compile_graph(doc), doc), "model.pt2")


def test_it_refuses_attributes_no_exporter_writes_without_crashing():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, 6])
    w = helper.make_tensor("c.weight", TensorProto.FLOAT, [3, 2, 3], np.ones(18, np.float32))
    conv = helper.make_node("Conv", ["x", "c.weight"], ["y"], name="/c/Conv", kernel_shape=[3])
    conv.attribute.append(helper.make_attribute("strides", [], attr_type=onnx.AttributeProto.INTS))
    model = helper.make_model(helper.make_graph([conv], "g", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ImportRefused, match="stride must be"):
        import_file(model.SerializeToString())
