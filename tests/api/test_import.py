"""POST /api/graphs/import/: a design and a report from a Keras JSON, an ONNX file or a LayerLab design;
ONNX weights kept as a saved graph's starting weights, which its exports start from."""
import io
import json

import numpy as np
import onnx
import onnxruntime
import torch
from django.core.files.uploadedfile import SimpleUploadedFile

from builder.compile import compile_graph
from builder.export import export_onnx
from builder.templates import starter_designs
from tests.api.conftest import SPEC_EXAMPLE
from tests.builder.keras_json import keras2, keras3, tutorial_cnn

URL = "/api/graphs/import/"


def onnx_file(slug="residual-block", seed=11):
    doc = next(s["document"] for s in starter_designs() if s["slug"] == slug)
    torch.manual_seed(seed)
    model = compile_graph(doc)
    return doc, model, export_onnx(model, doc)


def upload(client, data: bytes, name: str):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def test_it_imports_a_keras_json_body_for_anyone(anon):
    r = anon.post(URL, keras3(tutorial_cnn()), format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["report"]["params"] == body["report"]["keras_params"] == 122_570
    assert body["document"]["format"] == "layerlab.graph/1" and body["weights"] is None


def test_it_imports_an_uploaded_keras_file(alice):
    r = upload(alice, json.dumps(keras2(tutorial_cnn())).encode(), "cnn.json")
    assert r.status_code == 200 and r.json()["report"]["format"] == "Keras 2 Sequential"


def test_it_imports_layerlab_json_as_it_is(alice):
    r = alice.post(URL, SPEC_EXAMPLE, format="json")
    assert r.status_code == 200 and r.json()["document"] == SPEC_EXAMPLE and r.json()["report"]["source"] == "layerlab"


def test_it_keeps_onnx_weights_for_the_saved_graph_and_exports_from_them(alice):
    doc, model, proto = onnx_file()
    r = upload(alice, proto, "model.onnx")
    assert r.status_code == 200, r.content
    token = r.json()["weights"]
    saved = alice.post("/api/graphs/", {"name": "imported", "document": r.json()["document"], "weights": token}, format="json")
    assert saved.status_code == 201, saved.content
    assert saved.json()["has_initial_weights"] and "weights" not in saved.json()
    exported = alice.get(f"/api/graphs/{saved.json()['id']}/export/?to=onnx").content
    x = torch.randn(3, 1, 8, 8)
    (got,) = onnxruntime.InferenceSession(exported, providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-5)
    program = torch.export.load(io.BytesIO(alice.get(f"/api/graphs/{saved.json()['id']}/export/?to=pt2").content))
    torch.testing.assert_close(program.module()(x), model(x).detach(), rtol=1e-4, atol=1e-5)
    # A token serves one design.
    again = alice.post("/api/graphs/", {"name": "twice", "document": r.json()["document"], "weights": token}, format="json")
    assert again.status_code == 400 and "no imported weights" in json.dumps(again.json())


def test_it_keeps_one_users_weights_from_another(alice, bob):
    _, _, proto = onnx_file()
    token = upload(alice, proto, "model.onnx").json()["weights"]
    r = bob.post("/api/graphs/", {"name": "theirs", "document": SPEC_EXAMPLE, "weights": token}, format="json")
    assert r.status_code == 400 and not bob.get("/api/graphs/").json()


def test_it_forgets_starting_weights_with_the_graph(alice, settings):
    doc, _, proto = onnx_file()
    r = upload(alice, proto, "model.onnx").json()
    gid = alice.post("/api/graphs/", {"name": "x", "document": r["document"], "weights": r["weights"]}, format="json").json()["id"]
    folder = settings.MEDIA_ROOT / "graphs" / str(gid)
    assert folder.exists()
    assert alice.delete(f"/api/graphs/{gid}/").status_code == 204
    assert not folder.exists()


def test_it_answers_a_refusal_with_a_sentence_and_saves_nothing(alice, settings):
    model = onnx.load_from_string(onnx_file()[2])
    model.graph.node[0].op_type = "Sin"
    for data, name in [(model.SerializeToString(), "model.onnx"), (b"\x00\x01garbage", "x.onnx"),
                       (b'{"a": ' * 100 + b"1" + b"}" * 100, "deep.json"), (b"PK\x03\x04zip", "model.pt2")]:
        r = upload(alice, data, name)
        assert r.status_code == 400 and isinstance(r.json()["detail"], str) and "Traceback" not in r.json()["detail"], name
    assert not (settings.MEDIA_ROOT / "imports").exists()


def test_it_refuses_a_missing_or_oversized_file(alice, settings):
    assert alice.post(URL, {}, format="multipart").status_code == 400
    settings.LAYERLAB_MAX_IMPORT_MB = 1
    r = upload(alice, b"\x00" * (1024 * 1024 + 1), "big.onnx")
    assert r.status_code == 400 and "LAYERLAB_MAX_IMPORT_MB" in r.json()["detail"]


def test_it_refuses_an_unknown_weights_token(alice):
    r = alice.post("/api/graphs/", {"name": "x", "document": SPEC_EXAMPLE, "weights": "../../etc/passwd"}, format="json")
    assert r.status_code == 400 and "token" in json.dumps(r.json())


def test_it_refuses_a_json_body_over_djangos_limit(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    r = alice.post(URL, keras3(tutorial_cnn()), format="json")
    assert r.status_code == 413 and "the limit here is" in r.json()["detail"]


def test_it_fine_tunes_a_run_from_the_imported_weights(alice):
    from trainer.models import Run
    from trainer.tasks import prepare

    doc, model, proto = onnx_file("digits-mlp", seed=5)
    r = upload(alice, proto, "model.onnx").json()
    gid = alice.post("/api/graphs/", {"name": "ft", "document": r["document"], "weights": r["weights"]},
                     format="json").json()["id"]
    run = alice.post("/api/runs/", {"graph": gid, "dataset": "digits", "epochs": 1}, format="json")
    assert run.status_code == 201, run.content
    job = prepare(Run.objects.get(pk=run.json()["id"]))
    assert any("fine-tuning" in note for note in job.notes)
    for key, value in model.state_dict().items():
        assert torch.equal(job.model.state_dict()[key], value), key
