"""GET /api/training-settings/ serves the declaration; runs are checked against it and the server's limits."""
import json

import pytest
import torch

from tests.api.conftest import DIGITS_MLP
from trainer import weights
from trainer.engine.settings import SETTINGS
from trainer.models import Run


def test_it_serves_the_declared_settings(anon):
    served = anon.get("/api/training-settings/").json()
    assert [s["name"] for s in served] == list(SETTINGS)
    optimizer = next(s for s in served if s["name"] == "optimizer")
    assert optimizer["choices"] == ["sgd", "adam", "adamw"] and "rmsprop" not in optimizer["choices"]
    assert all({"name", "kind", "default", "label", "help", "low", "high", "choices", "applies_to"} <= set(s)
               for s in served)


def test_it_limits_epochs_to_the_servers_maximum(alice, settings):
    settings.LAYERLAB_MAX_EPOCHS = 7
    [epochs] = [s for s in alice.get("/api/training-settings/").json() if s["name"] == "epochs"]
    assert epochs["high"] == 7
    body = {"graph": DIGITS_MLP, "dataset": "digits", "epochs": 8}
    r = alice.post("/api/runs/", body, format="json")
    assert r.status_code == 400 and "7" in r.json()["detail"] and Run.objects.count() == 0
    assert alice.post("/api/runs/", dict(body, epochs=7), format="json").status_code == 201


@pytest.mark.parametrize("field,value,words", [
    ("lr_schedule", "linear", "lr_schedule"), ("augment_flip", "maybe", "augment_flip"),
    ("early_stop_patience", -1, "early_stop_patience"), ("grad_clip", -0.5, "grad_clip"),
    ("lr_gamma", 0, "lr_gamma"), ("normalize", "always", "normalize"),
])
def test_it_refuses_bad_new_settings_with_a_sentence(alice, field, value, words):
    r = alice.post("/api/runs/", {"graph": DIGITS_MLP, "dataset": "digits", field: value}, format="json")
    assert r.status_code == 400 and words in r.json()["detail"] and Run.objects.count() == 0


def test_it_refuses_augmentation_on_data_that_is_not_images(alice):
    design = {"format": "layerlab.graph/1", "name": "rows", "nodes": [
        {"id": "rows", "type": "Input", "params": {"shape": [8, 8]}},
        {"id": "flat", "type": "Flatten", "inputs": ["rows"]},
        {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}}]}
    verdict = alice.post("/api/runs/check/", {"graph": design, "dataset": "digits-rows", "augment_flip": True},
                         format="json").json()
    assert not verdict["ok"] and verdict["problems"][0]["fix"] == {"augment_crop": 0, "augment_flip": False}


def test_it_downloads_every_format_with_the_runs_normalization(alice, settings, tmp_path):
    from builder.compile import compile_graph

    run = Run.objects.create(owner=alice.user, document=DIGITS_MLP, dataset="digits", dataset_name="digits",
                             dataset_hash="0" * 64, config={}, status=Run.SUCCEEDED,
                             result={"normalization": {"scale": 1.0, "mean": [0.3], "std": [0.4], "channel_dim": 0}})
    torch.manual_seed(0)
    model = compile_graph(DIGITS_MLP).eval()
    weights.save(run.pk, model)
    x = torch.rand(4, 1, 8, 8)
    want = model((x - 0.3) / 0.4).detach()
    namespace = {}
    exec(alice.get(f"/api/runs/{run.pk}/code/").content.decode(), namespace)
    exported = namespace["DigitsMlp"]().eval()
    exported.load_state_dict(torch.load(weights.path(run.pk), weights_only=True))
    assert torch.equal(exported(x).detach(), want)
    scripted = torch.jit.load(__import__("io").BytesIO(alice.get(f"/api/runs/{run.pk}/weights/?format=torchscript")
                                                       .content))
    torch.testing.assert_close(scripted(x), want)
    from safetensors import safe_open

    path = tmp_path / "w.safetensors"
    path.write_bytes(alice.get(f"/api/runs/{run.pk}/weights/?format=safetensors").content)
    with safe_open(str(path), "pt") as f:
        assert json.loads(f.metadata()["layerlab.normalization"])["mean"] == [0.3]
