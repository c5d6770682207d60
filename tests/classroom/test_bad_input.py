"""Garbage at every classroom endpoint: a 4xx with a sentence, never a 500."""
import pytest

from tests.classroom.conftest import lab_run

BODIES = [[1, 2], "text", 7, None, {"name": {"x": 1}}, {"code": ["A"]}, {"run": [1]}, {"course": 1.5},
          {"title": "t", "starter": {"nodes": [[[[]]]]}, "dataset": True}, {"limits": "many"}, {"settings": [1]},
          {"locked": "image"}, {"allowed_blocks": "Linear"}, {"deadline": 5}, {"public_fraction": "half"}]


@pytest.mark.parametrize("body", BODIES)
def test_it_answers_garbage_with_a_4xx_sentence(teacher, course, lab, ann, body):
    run = lab_run(ann, lab).json()["id"]
    calls = [(teacher, "post", "/api/courses/"), (ann, "post", "/api/courses/join/"),
             (teacher, "patch", f"/api/courses/{course['id']}/"), (teacher, "post", f"/api/courses/{course['id']}/labs/"),
             (teacher, "patch", f"/api/labs/{lab['id']}/"), (teacher, "post", f"/api/labs/{lab['id']}/copy/"),
             (ann, "post", f"/api/labs/{lab['id']}/submit/"), (ann, "post", "/api/runs/"),
             (ann, "post", "/api/runs/check/")]
    for client, method, path in calls:
        r = getattr(client, method)(path, body, format="json")
        assert r.status_code < 500, (path, body, r.content)
        if r.status_code >= 400:
            assert isinstance(r.json()["detail"], str) and r.json()["detail"], (path, body, r.content)


def test_it_refuses_a_bad_after(teacher, lab, ann):
    run = lab_run(ann, lab).json()["id"]
    r = teacher.get(f"/api/labs/{lab['id']}/runs/{run}/metrics/?after=x")
    assert r.status_code == 400 and "after" in r.json()["detail"]


def test_it_answers_404_for_odd_ids(teacher):
    for path in ("/api/courses/0/", "/api/labs/99999999999/", "/api/labs/1/runs/2/"):
        assert teacher.get(path).status_code == 404
    assert teacher.delete("/api/courses/5/members/9/").status_code == 404
