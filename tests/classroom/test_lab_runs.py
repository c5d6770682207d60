"""Runs in a lab: the lab's dataset and pinned settings, and a refusal for every rule broken."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import DIGITS_MLP
from tests.classroom.conftest import LAB, design, lab_run


def problems_of(r) -> list[dict]:
    assert r.status_code == 400, r.content
    return r.json()["problems"]


def test_it_trains_on_the_labs_dataset_with_the_pinned_settings(lab, ann):
    r = lab_run(ann, lab, batch_size=512)
    assert r.status_code == 201, r.content
    run = r.json()
    assert run["dataset"] == "digits" and run["lab"] == lab["id"] and run["late"] is False
    assert run["config"]["batch_size"] == 32 and run["config"]["epochs"] == 2 and "lab" not in run["config"]


def test_it_refuses_another_dataset(lab, ann):
    r = lab_run(ann, lab, dataset="mnist1d")
    assert r.status_code == 400 and "leave dataset out" in r.json()["detail"]
    assert lab_run(ann, lab, dataset="digits").status_code == 201


@pytest.mark.parametrize("doc,node,param", [
    ({**DIGITS_MLP, "nodes": DIGITS_MLP["nodes"][:3] + [
        {"id": "out", "type": "Linear", "inputs": ["hidden"], "params": {"out_features": 10}}]}, "logits", None),
    (design(logits={"params": {"out_features": 10, "bias": False}}), "logits", "bias"),
    (design(logits={"inputs": ["flat"]}), "logits", "inputs"),
    (design(image={"type": "Input", "params": {"shape": [64]}}), "image", "shape"),
])
def test_it_refuses_a_locked_block_removed_or_changed(lab, ann, doc, node, param):
    found = [p for p in problems_of(lab_run(ann, lab, graph=doc)) if p["node"] == node]
    assert found and "locked" in found[0]["message"] and found[0]["param"] == param


def test_it_accepts_a_locked_block_written_with_its_defaults(lab, ann):
    doc = design(logits={"params": {"out_features": 10, "bias": True}})
    assert lab_run(ann, lab, graph=doc).status_code == 201


def test_it_refuses_a_block_the_lab_does_not_allow(lab, ann):
    doc = design()
    doc["nodes"].insert(2, {"id": "norm", "type": "BatchNorm1d", "inputs": ["flat"], "params": {}})
    doc["nodes"][3]["inputs"] = ["norm"]
    found = problems_of(lab_run(ann, lab, graph=doc))
    assert [(p["node"], p["param"]) for p in found] == [("norm", "type")] and "does not allow" in found[0]["message"]


def test_it_refuses_too_many_parameters_and_epochs(lab, ann):
    doc = design(hidden={"params": {"out_features": 400, "activation": "relu"}})
    found = problems_of(lab_run(ann, lab, graph=doc, epochs=4))
    messages = " ".join(p["message"] for p in found)
    assert "30,010 parameters" in messages and "at most 20,000" in messages
    assert [p["fix"] for p in found if p["param"] == "epochs"] == [{"epochs": 3}]


def test_it_counts_runs_and_waiting_runs(lab, ann, ben):
    first = lab_run(ann, lab).json()
    assert "waiting" in problems_of(lab_run(ann, lab))[0]["message"]
    assert lab_run(ben, lab).status_code == 201  # another student's queue is their own
    ann.post(f"/api/runs/{first['id']}/stop/")
    assert lab_run(ann, lab).status_code == 201
    ann.post(f"/api/runs/{ann.get('/api/runs/').json()[0]['id']}/stop/")
    assert lab_run(ann, lab).status_code == 201
    ann.post(f"/api/runs/{ann.get('/api/runs/').json()[0]['id']}/stop/")
    assert "all 3 runs" in problems_of(lab_run(ann, lab))[0]["message"]


def test_it_refuses_late_work_or_marks_it_late(teacher, lab, ann):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    teacher.patch(f"/api/labs/{lab['id']}/", {"deadline": past, "accept_late": False}, format="json")
    assert "takes no late work" in problems_of(lab_run(ann, lab))[0]["message"]
    teacher.patch(f"/api/labs/{lab['id']}/", {"accept_late": True}, format="json")
    r = lab_run(ann, lab)
    assert r.status_code == 201 and r.json()["late"] is True


def test_the_check_reports_the_same_problems(lab, ann):
    body = {"graph": design(logits={"inputs": ["flat"]}), "lab": lab["id"], "epochs": 9}
    check = ann.post("/api/runs/check/", body, format="json").json()
    assert check["ok"] is False and check["problems"] == problems_of(ann.post("/api/runs/", body, format="json"))
    assert ann.post("/api/runs/check/", {"graph": DIGITS_MLP, "lab": lab["id"]}, format="json").json()["ok"] is False
    assert ann.post("/api/runs/check/", {"graph": DIGITS_MLP, "lab": lab["id"], "epochs": 3},
                    format="json").json() == {"ok": True, "problems": []}


def test_it_answers_404_for_a_lab_that_is_not_mine(teacher, course, lab, outsider, ann):
    assert lab_run(outsider, lab).status_code == 404
    draft = teacher.post(f"/api/courses/{course['id']}/labs/", dict(LAB, published=False), format="json").json()
    assert lab_run(ann, draft).status_code == 404
    assert lab_run(ann, {"id": 99999}).status_code == 404
    assert ann.post("/api/runs/", {"graph": DIGITS_MLP}, format="json").status_code == 400  # no dataset, no lab


def test_the_teacher_reads_every_run_and_students_only_their_own(teacher, lab, ann, ben):
    mine, theirs = lab_run(ann, lab).json(), lab_run(ben, lab).json()
    rows = teacher.get(f"/api/labs/{lab['id']}/runs/").json()
    assert {(r["id"], r["student"]) for r in rows} == {(mine["id"], "ann"), (theirs["id"], "ben")}
    assert [r["id"] for r in ann.get(f"/api/labs/{lab['id']}/runs/").json()] == [mine["id"]]
    assert ann.get(f"/api/labs/{lab['id']}/runs/{theirs['id']}/").status_code == 404
    assert ann.get(f"/api/runs/{theirs['id']}/").status_code == 404
    assert teacher.get(f"/api/labs/{lab['id']}/runs/{theirs['id']}/").json()["student"] == "ben"
    assert [m["status"] for m in teacher.get(f"/api/labs/{lab['id']}/runs/{theirs['id']}/metrics/").json()] == ["queued"]
    assert teacher.get(f"/api/runs/{theirs['id']}/").status_code == 404  # read through the lab, not as owner


def test_the_teacher_may_stop_a_students_run(teacher, lab, ann):
    run = lab_run(ann, lab).json()
    assert ann.post(f"/api/labs/{lab['id']}/runs/{run['id']}/stop/").status_code == 403
    r = teacher.post(f"/api/labs/{lab['id']}/runs/{run['id']}/stop/")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert teacher.post(f"/api/labs/{lab['id']}/runs/{run['id']}/stop/").status_code == 409


def test_a_lab_with_live_runs_is_not_deleted(teacher, lab, ann):
    run = lab_run(ann, lab).json()
    r = teacher.delete(f"/api/labs/{lab['id']}/")
    assert r.status_code == 409 and "still queued or running" in r.json()["detail"]
    teacher.post(f"/api/labs/{lab['id']}/runs/{run['id']}/stop/")
    assert teacher.delete(f"/api/labs/{lab['id']}/").status_code == 204
    assert ann.get(f"/api/runs/{run['id']}/").json()["lab"] is None
