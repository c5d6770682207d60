"""ONNX and TorchScript exports are refused with a 400 when their estimated memory passes
LAYERLAB_MAX_EXPORT_MB, before anything is allocated."""
import psutil
import pytest

from builder.compile import compile_graph
from builder.document import check_document
from builder.export import export_memory
from tests.builder.designs import design, node
from trainer import weights

# 24 parameters, but padding 1000 makes each convolution's output about 2,000 x 2,000.
PADDED = design(node("x", "Input", shape=[1, 8, 8]),
                node("c1", "Conv2d", "x", out_channels=1, kernel_size=3, padding=1000),
                node("c2", "Conv2d", "c1", out_channels=1, kernel_size=3, padding=1000),
                node("pool", "AdaptiveAvgPool2d", "c2", output_size=1), node("flat", "Flatten", "pool"),
                node("logits", "Linear", "flat", out_features=2), name="padded")
WIDE = design(node("image", "Input", shape=[1, 8, 8]), node("flat", "Flatten", "image"),
              node("hidden", "Linear", "flat", out_features=4096, activation="relu"),
              node("logits", "Linear", "hidden", out_features=10), name="wide")


def saved(client, document) -> int:
    return client.post("/api/graphs/", {"name": document["name"], "document": document}, format="json").json()["id"]


def test_it_estimates_the_padded_design_from_its_outputs():
    need, largest = export_memory(check_document(PADDED))
    assert 24 == sum(p.numel() for p in compile_graph(PADDED).parameters())
    # c1 is 2,006 x 2,006 and c2 4,004 x 4,004 floats, for a batch of 2, twice
    assert need == 24 * 12 + (64 + 2006**2 + 4004**2 + 1 + 1 + 2) * 4 * 2 * 2 and largest == "c2"


@pytest.mark.parametrize("to", ["onnx", "torchscript"])
def test_it_refuses_an_export_over_the_memory_limit_without_allocating(alice, settings, to):
    settings.LAYERLAB_MAX_EXPORT_MB = 100
    gid = saved(alice, PADDED)
    before = psutil.Process().memory_info().rss
    r = alice.get(f"/api/graphs/{gid}/export/?to={to}")
    assert r.status_code == 400
    assert r.json()["detail"] == ("exporting this design would need about 306 MB of memory, more than the limit of "
                                  "100 MB; make its largest outputs smaller (the largest is c2's) (LAYERLAB_MAX_EXPORT_MB)")
    assert psutil.Process().memory_info().rss - before < 50 * 2**20


def test_it_exports_the_same_design_under_a_higher_limit(alice, settings):
    settings.LAYERLAB_MAX_EXPORT_MB = 512
    r = alice.get(f"/api/graphs/{saved(alice, PADDED)}/export/?to=onnx")
    assert r.status_code == 200 and len(r.content) > 0


def test_it_keeps_source_and_json_exports_free_of_the_limit(alice, settings):
    settings.LAYERLAB_MAX_EXPORT_MB = 1
    gid = saved(alice, PADDED)
    assert alice.get(f"/api/graphs/{gid}/export/?to=pytorch").status_code == 200
    assert alice.get(f"/api/graphs/{gid}/export/?to=json").status_code == 200


def test_it_bounds_run_weight_downloads_too(alice, settings):
    r = alice.post("/api/runs/", {"graph": WIDE, "dataset": "digits"}, format="json")
    assert r.status_code == 201, r.content
    run_id = r.json()["id"]
    weights.save(run_id, compile_graph(WIDE))
    settings.LAYERLAB_MAX_EXPORT_MB = 1
    refused = alice.get(f"/api/runs/{run_id}/weights/?format=onnx")
    assert refused.status_code == 400 and "more than the limit of 1 MB" in refused.json()["detail"]
    assert alice.get(f"/api/runs/{run_id}/weights/?format=pt").status_code == 200
    settings.LAYERLAB_MAX_EXPORT_MB = 512
    assert alice.get(f"/api/runs/{run_id}/weights/?format=onnx").status_code == 200
