import copy
import io

import pytest
import torch
from rest_framework.test import APIClient

from tests.api.conftest import SPEC_EXAMPLE


def test_it_summarizes_without_login(anon):
    r = anon.post("/api/graphs/summary/", SPEC_EXAMPLE, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True
    assert body["nodes"]["conv1"]["output_shape"] == [32, 30, 30]
    assert body["output_shape"] == [10]
    assert body["params"] == 896 + 32 * 15 * 15 * 10 + 10


def test_it_answers_200_with_errors_for_an_invalid_document(anon):
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["nodes"][1]["params"]["kernel_size"] = 40
    body = anon.post("/api/graphs/summary/", doc, format="json").json()
    assert body["valid"] is False
    assert body["errors"][0]["node"] == "conv1"
    assert body["errors"][0]["param"] == "kernel_size"


@pytest.mark.parametrize("payload", ["{not json", "[1, 2", '"just a string"', "null", "[]"])
def test_it_never_fails_on_garbage_bodies(anon, payload):
    r = anon.post("/api/graphs/summary/", payload, content_type="application/json")
    assert r.status_code in (200, 400)
    body = r.json()
    assert ("detail" in body) if r.status_code == 400 else (body["valid"] is False and body["errors"])


def test_it_lists_every_block_type_of_the_spec(anon):
    types = {b["type"] for b in anon.get("/api/blocks/").json()}
    spec_types = {"Input", "Linear", "Conv1d", "Conv2d", "MaxPool1d", "AvgPool1d", "MaxPool2d", "AvgPool2d",
                  "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout",
                  "Flatten", "Reshape", "Permute", "Embedding", "RNN", "LSTM", "GRU", "ReLU", "ELU", "GELU",
                  "SiLU", "Sigmoid", "Tanh", "LeakyReLU", "Softmax", "LogSoftmax", "Add", "Concat"}
    assert spec_types <= types


def test_it_serves_starter_designs_that_are_valid(anon):
    starters = anon.get("/api/templates/").json()
    assert len(starters) >= 8
    by_slug = {s["slug"]: s for s in starters}
    assert set(starters[0]) >= {"slug", "name", "description", "document"}
    cifar = next(s for s in starters if "cifar" in s["slug"])
    assert anon.post("/api/graphs/summary/", cifar["document"], format="json").json()["params"] == 122570
    for slug, starter in by_slug.items():
        assert anon.post("/api/graphs/summary/", starter["document"], format="json").json()["valid"], slug


def test_it_asks_for_login_to_save(anon):
    assert anon.get("/api/graphs/").status_code in (401, 403)
    r = anon.post("/api/graphs/", {"name": "x", "document": SPEC_EXAMPLE}, format="json")
    assert r.status_code in (401, 403) and "detail" in r.json()


def test_it_saves_lists_updates_and_deletes_my_graph(alice):
    r = alice.post("/api/graphs/", {"name": "first", "document": SPEC_EXAMPLE}, format="json")
    assert r.status_code == 201, r.content
    gid = r.json()["id"]
    assert r.json()["summary"]["valid"] is True
    assert [g["id"] for g in alice.get("/api/graphs/").json()] == [gid]
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["nodes"][-1]["params"]["out_features"] = 5
    r = alice.put(f"/api/graphs/{gid}/", {"name": "renamed", "document": doc}, format="json")
    assert r.status_code == 200 and r.json()["summary"]["output_shape"] == [5]
    assert alice.get(f"/api/graphs/{gid}/").json()["document"] == doc
    assert alice.delete(f"/api/graphs/{gid}/").status_code == 204
    assert alice.get(f"/api/graphs/{gid}/").status_code == 404


def test_it_keeps_ui_and_invalid_designs_untouched(alice):
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["nodes"][1]["ui"] = {"x": 1, "y": 2, "colour": "teal", "nested": {"a": [1, 2]}}
    doc["nodes"][2]["params"]["kernel_size"] = 999  # work in progress may be invalid
    r = alice.post("/api/graphs/", {"document": doc}, format="json")
    assert r.status_code == 201
    assert r.json()["name"] == "seed-cnn"
    assert r.json()["document"] == doc and r.json()["summary"]["valid"] is False


def test_it_rejects_a_document_that_is_not_one(alice):
    r = alice.post("/api/graphs/", {"name": "x", "document": [1, 2]}, format="json")
    assert r.status_code == 400 and "document" in r.json()["detail"]


def test_it_hides_another_users_graph(alice, bob):
    gid = alice.post("/api/graphs/", {"name": "mine", "document": SPEC_EXAMPLE}, format="json").json()["id"]
    assert bob.get(f"/api/graphs/{gid}/").status_code == 404
    assert bob.put(f"/api/graphs/{gid}/", {"name": "x", "document": SPEC_EXAMPLE}, format="json").status_code == 404
    assert bob.delete(f"/api/graphs/{gid}/").status_code == 404
    assert bob.get(f"/api/graphs/{gid}/export/?to=pytorch").status_code == 404
    assert bob.get("/api/graphs/").json() == []
    assert alice.get(f"/api/graphs/{gid}/").status_code == 200


def test_it_exports_a_saved_graph_in_every_format(alice):
    gid = alice.post("/api/graphs/", {"name": "mine", "document": SPEC_EXAMPLE}, format="json").json()["id"]
    code = alice.get(f"/api/graphs/{gid}/export/?to=pytorch")
    assert code.status_code == 200 and b"class " in code.content and b"nn.Module" in code.content
    assert alice.get(f"/api/graphs/{gid}/export/?to=json").json() == SPEC_EXAMPLE
    onnx_bytes = alice.get(f"/api/graphs/{gid}/export/?to=onnx").content
    import onnx

    onnx.checker.check_model(onnx.load_from_string(onnx_bytes))
    ts = alice.get(f"/api/graphs/{gid}/export/?to=torchscript")
    module = torch.jit.load(io.BytesIO(ts.content))
    assert module(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    bad = alice.get(f"/api/graphs/{gid}/export/?to=keras")
    assert bad.status_code == 400 and "keras" in bad.json()["detail"]


def test_it_refuses_to_export_an_invalid_design_with_its_errors(alice):
    doc = copy.deepcopy(SPEC_EXAMPLE)
    doc["nodes"][1]["params"]["kernel_size"] = 999
    gid = alice.post("/api/graphs/", {"name": "wip", "document": doc}, format="json").json()["id"]
    r = alice.get(f"/api/graphs/{gid}/export/?to=onnx")
    assert r.status_code == 400 and r.json()["errors"][0]["node"] == "conv1"


def test_it_issues_tokens_for_scripts(anon, django_user_model):
    django_user_model.objects.create_user(username="carol", password="a-long-password-1")
    r = anon.post("/api/auth/token/", {"username": "carol", "password": "a-long-password-1"}, format="json")
    assert r.status_code == 200 and len(r.json()["token"]) >= 20
    anon.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert anon.get("/api/graphs/").status_code == 200
    bad = APIClient().post("/api/auth/token/", {"username": "carol", "password": "wrong"}, format="json")
    assert bad.status_code == 400 and "detail" in bad.json()


def test_it_serves_the_openapi_schema(anon):
    r = anon.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/graphs/summary/", "/api/graphs/import/", "/api/blocks/", "/api/runs/", "/api/runs/{id}/weights/"):
        assert path in schema["paths"], path
