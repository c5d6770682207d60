"""The leaderboard, the run that counts, and the grades CSV (scores written as the worker would)."""
import pytest

from classroom.rules import counting_run, hidden_split, rank
from tests.classroom.conftest import lab_run
from trainer.models import Run


def finish(run_id: int, public: float, private: float, params: int = 2570, epochs: int = 2) -> None:
    Run.objects.filter(pk=run_id).update(status=Run.SUCCEEDED, result={
        "score_public": public, "score_private": private, "params": params, "epochs": epochs})


@pytest.fixture
def scored(lab, ann, ben, make_client, course):
    from tests.classroom.conftest import join

    join(make_client("cat"), course)  # never trains
    a1 = lab_run(ann, lab).json()["id"]
    finish(a1, 0.80, 0.70)
    a2 = lab_run(ann, lab).json()["id"]
    finish(a2, 0.90, 0.60)
    b1 = lab_run(ben, lab).json()["id"]
    finish(b1, 0.85, 0.88, params=1234, epochs=3)
    return a1, a2, b1


def test_the_leaderboard_ranks_each_students_best_public_score(lab, ann, scored):
    a1, a2, b1 = scored
    board = ann.get(f"/api/labs/{lab['id']}/leaderboard/").json()
    assert board == [
        {"student": "ann", "run": a2, "score_public": 0.9, "params": 2570, "submitted": False, "late": False},
        {"student": "ben", "run": b1, "score_public": 0.85, "params": 1234, "submitted": False, "late": False}]


def test_a_submitted_run_counts_instead_of_the_best(lab, ann, ben, scored):
    a1, a2, b1 = scored
    r = ann.post(f"/api/labs/{lab['id']}/submit/", {"run": a1}, format="json")
    assert r.status_code == 200 and r.json()["run"] == a1 and "score_private" not in r.json()
    board = ann.get(f"/api/labs/{lab['id']}/leaderboard/").json()
    assert [(row["student"], row["run"], row["submitted"]) for row in board] == [("ben", b1, False), ("ann", a1, True)]
    assert ann.post(f"/api/labs/{lab['id']}/submit/", {"run": b1}, format="json").status_code == 404
    assert ann.post(f"/api/labs/{lab['id']}/submit/", {"run": "x"}, format="json").status_code == 400
    assert ann.post(f"/api/labs/{lab['id']}/submit/", {"run": None}, format="json").json()["run"] == a2


def test_it_refuses_to_submit_a_run_without_a_score(lab, ann):
    run = lab_run(ann, lab).json()["id"]
    r = ann.post(f"/api/labs/{lab['id']}/submit/", {"run": run}, format="json")
    assert r.status_code == 400 and "no score yet" in r.json()["detail"]


def test_the_grades_csv_has_one_row_per_student(teacher, lab, ann, scored):
    a1, a2, b1 = scored
    ann.post(f"/api/labs/{lab['id']}/submit/", {"run": a1}, format="json")
    r = teacher.get(f"/api/labs/{lab['id']}/grades.csv")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    assert r.content.decode("utf-8") == (
        "username,run,score_public,score_private,params,epochs,runs_used,submitted,late\n"
        f"ann,{a1},0.8000,0.7000,2570,2,2,yes,no\n"
        f"ben,{b1},0.8500,0.8800,1234,3,1,no,no\n"
        "cat,,,,,,0,no,no\n")


def test_the_csv_keeps_names_in_utf8(teacher, lab, course, make_client):
    from tests.classroom.conftest import join

    join(make_client("zoë"), course)
    assert "zoë,,,,,,0,no,no" in teacher.get(f"/api/labs/{lab['id']}/grades.csv").content.decode("utf-8")


def test_the_hidden_split_is_fixed_disjoint_and_sized_by_the_fraction():
    public, private = hidden_split(1000, 0.3)
    again = hidden_split(1000, 0.3)
    assert len(public) == 300 and len(private) == 700 and not set(public) & set(private)
    assert (public == again[0]).all() and sorted([*public, *private]) == list(range(1000))


def test_the_counting_run_and_the_order():
    runs = [{"id": 1, "score_public": 0.5}, {"id": 2, "score_public": 0.7}, {"id": 3, "score_public": None}]
    assert counting_run(runs, None)["id"] == 2 and counting_run(runs, 1)["id"] == 1
    assert counting_run(runs, 3)["id"] == 2 and counting_run([], None) is None
    rows = [{"student": "b", "score_public": None}, {"student": "a", "score_public": 0.5},
            {"student": "c", "score_public": 0.9}]
    assert [r["student"] for r in rank(rows)] == ["c", "a", "b"]
