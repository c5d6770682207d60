"""The teacher's wall against a real Redis, Celery worker and Daphne: one socket, every student's points."""
import json
import time

import pytest
from websockets.sync.client import connect

from tests.api.conftest import DIGITS_MLP
from tests.integration.test_live_runs import FINAL

pytestmark = pytest.mark.integration


def test_the_teachers_socket_receives_every_students_points_live(live_app):
    _, _, teacher_token = live_app.signup()
    teacher = live_app.api(teacher_token)
    course = teacher.post(f"{live_app.url}/api/courses/", json={"name": "Live class"}).json()
    lab = teacher.post(f"{live_app.url}/api/courses/{course['id']}/labs/", json={
        "title": "Live lab", "starter": DIGITS_MLP, "locked": ["image", "logits"], "dataset": "digits",
        "settings": {"epochs": 2, "batch_size": 32}, "published": True}).json()
    students = {}
    for _ in range(2):
        name, _, token = live_app.signup()
        api = live_app.api(token)
        assert api.post(f"{live_app.url}/api/courses/join/", json={"code": course["join_code"]}).ok
        students[name] = api
    got = []
    with connect(f"{live_app.ws_url}/ws/labs/{lab['id']}/?token={teacher_token}", open_timeout=10) as ws:
        runs = {}
        for name, api in students.items():
            r = api.post(f"{live_app.url}/api/runs/", json={"graph": DIGITS_MLP, "lab": lab["id"]})
            assert r.status_code == 201, r.text
            runs[name] = r.json()["id"]
        deadline = time.monotonic() + 180
        while {m["run"] for m in got if m.get("status") in FINAL} != set(runs.values()):
            got.append(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
    for name, run_id in runs.items():
        mine = [m for m in got if m["run"] == run_id]
        assert all(m["student"] == name for m in mine)
        assert mine[0] == {"type": "status", "status": "queued", "run": run_id, "student": name, "params": 2410,
                           "time": mine[0]["time"], "seq": 1}
        stored = students[name].get(f"{live_app.url}/api/runs/{run_id}/metrics/").json()
        assert [{k: v for k, v in m.items() if k not in ("run", "student")} for m in mine] == stored
        assert any(m.get("split") == "train" for m in stored) and stored[-1]["status"] == "succeeded"
        assert "score_public" in stored[-1]["result"] and "score_private" not in stored[-1]["result"]
