"""The runs API without a worker: requests are checked, snapshotted, queued, stopped, isolated."""
import copy

import pytest

from tests.api.conftest import DIGITS_MLP, SPEC_EXAMPLE


def start(client, **fields):
    body = {"graph": DIGITS_MLP, "dataset": "digits"}
    body.update(fields)
    return client.post("/api/runs/", body, format="json")


def test_it_queues_a_run_with_a_full_snapshot(alice):
    r = start(alice, epochs=3)
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["status"] == "queued" and run["queue_position"] == 1
    assert run["config"] == {"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 0.001, "weight_decay": 0.0,
                             "momentum": 0.9, "loss": "cross_entropy", "seed": 0, "val_fraction": 0.1, "device": "auto",
                             "lr_schedule": "constant", "lr_step_epochs": 10, "lr_gamma": 0.1, "early_stop_patience": 0,
                             "grad_clip": 0.0, "normalize": "auto", "augment_crop": 0, "augment_flip": False,
                             "xray": True}
    assert run["document"] == DIGITS_MLP and run["dataset"] == "digits"
    assert len(run["dataset_hash"]) == 64 and run["versions"]["torch"].startswith("2.13")
    assert start(alice).json()["queue_position"] == 2


def test_it_trains_a_saved_graph_by_id(alice):
    gid = alice.post("/api/graphs/", {"name": "g", "document": DIGITS_MLP}, format="json").json()["id"]
    r = start(alice, graph=gid)
    assert r.status_code == 201 and r.json()["graph"] == gid


def test_it_says_exactly_how_to_fix_an_input_that_does_not_match(alice):
    r = start(alice, graph=SPEC_EXAMPLE)
    assert r.status_code == 400
    problem = r.json()["problems"][0]
    assert problem["node"] == "image" and problem["fix"]["shape"] == [1, 8, 8]
    assert "[1, 8, 8]" in r.json()["detail"]


def test_it_refuses_an_invalid_design_with_its_errors(alice):
    doc = copy.deepcopy(DIGITS_MLP)
    doc["nodes"][2]["params"]["out_features"] = -4
    r = start(alice, graph=doc)
    assert r.status_code == 400 and r.json()["problems"][0]["node"] == "hidden"


@pytest.mark.parametrize("field,value,word", [
    ("epochs", 0, "epoch"), ("batch_size", 0, "batch"), ("optimizer", "rmsprop", "optimizer"),
    ("lr", -1, "lr"), ("val_fraction", 0.9, "val"), ("device", "tpu", "device"), ("epochs", "ten", "epochs"),
    ("graph", "nonsense", "graph"), ("dataset", [1], "dataset"),
])
def test_it_rejects_bad_settings_with_a_message(alice, field, value, word):
    r = start(alice, **{field: value})
    assert r.status_code == 400, r.content
    assert word in r.json()["detail"].lower()


def test_it_answers_404_for_unknown_datasets_and_graphs(alice, bob):
    assert start(alice, dataset="imagenet").status_code == 404
    gid = bob.post("/api/graphs/", {"name": "b", "document": DIGITS_MLP}, format="json").json()["id"]
    assert start(alice, graph=gid).status_code == 404


def test_it_stops_a_queued_run_and_records_the_status(alice):
    run_id = start(alice).json()["id"]
    r = alice.post(f"/api/runs/{run_id}/stop/")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    messages = alice.get(f"/api/runs/{run_id}/metrics/").json()
    assert [(m["seq"], m["type"], m["status"]) for m in messages] == [(1, "status", "queued"), (2, "status", "cancelled")]
    assert alice.post(f"/api/runs/{run_id}/stop/").status_code == 409
    assert alice.get(f"/api/runs/{run_id}/metrics/?after=2").json() == []
    assert alice.get(f"/api/runs/{run_id}/metrics/?after=x").status_code == 400


def test_it_has_no_weights_before_training(alice):
    run_id = start(alice).json()["id"]
    r = alice.get(f"/api/runs/{run_id}/weights/?format=pt")
    assert r.status_code == 409 and "no weights" in r.json()["detail"]
    assert alice.get(f"/api/runs/{run_id}/weights/?format=h5").status_code == 400
    code = alice.get(f"/api/runs/{run_id}/code/")
    assert code.status_code == 200 and b"nn.Module" in code.content


def test_it_hides_another_users_run_everywhere(alice, bob):
    run_id = start(alice).json()["id"]
    for path in ("", "metrics/", "weights/?format=pt", "code/"):
        assert bob.get(f"/api/runs/{run_id}/{path}").status_code == 404, path
    assert bob.post(f"/api/runs/{run_id}/stop/").status_code == 404
    assert bob.get("/api/runs/").json() == []
    assert alice.get(f"/api/runs/{run_id}/").json()["status"] == "queued"


def test_it_checks_a_run_without_starting_it(alice):
    ok = alice.post("/api/runs/check/", {"graph": DIGITS_MLP, "dataset": "digits"}, format="json")
    assert ok.status_code == 200 and ok.json() == {"ok": True, "problems": []}
    bad = alice.post("/api/runs/check/", {"graph": SPEC_EXAMPLE, "dataset": "digits"}, format="json").json()
    assert bad["ok"] is False and bad["problems"][0]["fix"]["shape"] == [1, 8, 8]
    unknown = alice.post("/api/runs/check/", {"graph": DIGITS_MLP, "dataset": "nope"}, format="json").json()
    assert unknown["ok"] is False and "nope" in unknown["detail"]
    settings = alice.post("/api/runs/check/", {"graph": DIGITS_MLP, "dataset": "digits", "epochs": 0}, format="json").json()
    assert settings["ok"] is False and "epoch" in settings["problems"][0]["message"].lower()
    assert alice.get("/api/runs/").json() == []


def test_it_names_the_output_layer_to_change_for_the_class_count(alice):
    doc = copy.deepcopy(DIGITS_MLP)
    doc["nodes"][3]["params"]["out_features"] = 7
    r = start(alice, graph=doc)
    assert r.status_code == 400
    problem = r.json()["problems"][0]
    assert problem["node"] == "logits" and "10" in problem["message"]
