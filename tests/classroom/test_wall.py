"""ws/labs/<id>/ in-process: the teacher only; a wall opened late gets each student's latest run."""
import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from classroom.routing import websocket_urlpatterns
from tests.classroom.conftest import lab_run
from trainer.tasks import train_run


def connect(user, lab_id: int, count: int = 0):
    async def go():
        comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/labs/{lab_id}/")
        comm.scope["user"] = user
        await comm.connect()
        got = [await comm.receive_json_from(timeout=5) for _ in range(count)]
        closed = await comm.receive_output(timeout=1) if count == 0 else None
        await comm.disconnect()
        return got, closed
    return async_to_sync(go)()


@pytest.mark.django_db(transaction=True)
def test_the_teacher_gets_every_students_messages_with_run_and_student(teacher, lab, ann, ben):
    runs = {}
    for client in (ann, ben):
        runs[client.user.username] = lab_run(client, lab, epochs=1).json()["id"]
        train_run(runs[client.user.username])
    stored = {name: ann.get(f"/api/runs/{runs['ann']}/metrics/").json() if name == "ann" else
              ben.get(f"/api/runs/{runs['ben']}/metrics/").json() for name in runs}
    got, _ = connect(teacher.user, lab["id"], count=len(stored["ann"]) + len(stored["ben"]))
    for name, run_id in runs.items():
        mine = [m for m in got if m["student"] == name]
        assert all(m["run"] == run_id for m in mine)
        assert [{k: v for k, v in m.items() if k not in ("run", "student")} for m in mine] == stored[name]
        assert mine[-1]["status"] == "succeeded" and "score_private" not in mine[-1]["result"]


@pytest.mark.django_db(transaction=True)
def test_it_closes_for_students_outsiders_and_strangers(lab, ann, outsider):
    for user, code in ((ann.user, 4404), (outsider.user, 4404), (AnonymousUser(), 4401)):
        _, closed = connect(user, lab["id"])
        assert closed == {"type": "websocket.close", "code": code}
    _, closed = connect(ann.user, 99999)
    assert closed["code"] == 4404


@pytest.mark.django_db(transaction=True)
def test_the_wall_has_a_runs_parameter_count_from_the_moment_it_is_queued(teacher, lab, ann):
    run_id = lab_run(ann, lab, epochs=1).json()["id"]
    params = 8 * 8 * 32 + 32 + 32 * 10 + 10  # DIGITS_MLP: hidden and logits, weights and biases
    # The wall's two sources before the run trains: the runs API it loads, and the socket's replay.
    runs = teacher.get(f"/api/labs/{lab['id']}/runs/").json()
    assert [(r["id"], r["status"], r["result"]["params"]) for r in runs] == [(run_id, "queued", params)]
    (queued,), _ = connect(teacher.user, lab["id"], count=1)
    assert (queued["run"], queued["status"], queued["params"]) == (run_id, "queued", params)
    train_run(run_id)
    assert teacher.get(f"/api/labs/{lab['id']}/runs/{run_id}/").json()["result"]["params"] == params


@pytest.mark.django_db(transaction=True)
def test_the_walls_summary_has_one_row_per_student_with_the_newest_run_and_best_score(teacher, lab, ann, ben, outsider):
    params = 8 * 8 * 32 + 32 + 32 * 10 + 10
    first = lab_run(ann, lab, epochs=1).json()["id"]
    train_run(first)
    newest = lab_run(ann, lab, epochs=1).json()["id"]  # queued, not trained
    best = ann.get(f"/api/runs/{first}/").json()["result"]["score_public"]
    rows = {r["student"]: r for r in teacher.get(f"/api/labs/{lab['id']}/wall/").json()}
    assert rows["ann"] == {"student": "ann", "student_id": ann.user.pk, "run": newest, "status": "queued",
                           "queue_position": 1, "params": params, "best_public": best}
    assert isinstance(best, float) and 0 <= best <= 1
    # A student who never trained has a row all the same, and nothing else about the runs is sent.
    assert rows["ben"] == {"student": "ben", "student_id": ben.user.pk, "run": None, "status": None,
                           "queue_position": None, "params": None, "best_public": None}
    refused = ann.get(f"/api/labs/{lab['id']}/wall/")
    assert refused.status_code == 403 and "teacher" in refused.json()["detail"]
    assert outsider.get(f"/api/labs/{lab['id']}/wall/").status_code == 404
