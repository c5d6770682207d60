"""Labs: what the teacher sends is checked; students see published labs and get their own copy."""
import pytest

from tests.classroom.conftest import LAB

FIELDS = {"id", "course", "title", "instructions", "starter", "locked", "allowed_blocks", "dataset",
          "public_fraction", "limits", "settings", "deadline", "accept_late", "published", "revealed"}


def test_it_creates_a_lab_with_every_field(lab, course):
    assert FIELDS <= set(lab) and lab["course"] == course["id"] and lab["revealed"] is False
    assert lab["limits"] == LAB["limits"] and lab["settings"] == {"batch_size": 32} and lab["locked"] == ["image", "logits"]


def test_it_fills_left_out_limits_with_the_servers(teacher, course, settings):
    body = {"title": "t", "starter": LAB["starter"], "dataset": "digits", "limits": {"max_epochs": 4}}
    lab = teacher.post(f"/api/courses/{course['id']}/labs/", body, format="json").json()
    assert lab["limits"] == {"max_params": settings.LAYERLAB_MAX_PARAMS, "max_epochs": 4,
                             "max_runs": settings.LAYERLAB_LAB_MAX_RUNS, "max_queued": settings.LAYERLAB_LAB_MAX_QUEUED}
    assert lab["allowed_blocks"] is None and lab["published"] is False and lab["locked"] == []


@pytest.mark.parametrize("change,word", [
    ({"starter": {"format": "nope"}}, "starter"),
    ({"locked": ["ghost"]}, "ghost"),
    ({"allowed_blocks": ["Conv9d"]}, "Conv9d"),
    ({"limits": {"max_epochs": 0}}, "max_epochs"),
    ({"limits": {"max_gpus": 1}}, "max_gpus"),
    ({"settings": {"optimizer": "rmsprop"}}, "optimizer"),
    ({"settings": {"colour": "red"}}, "colour"),
    ({"settings": {"epochs": 9}}, "max_epochs"),
    ({"dataset": "imagenet"}, "imagenet"),
    ({"public_fraction": 1.5}, "public_fraction"),
    ({"title": ""}, "title"),
    ({"deadline": "soon"}, "deadline"),
])
def test_it_refuses_a_bad_lab_saying_why(teacher, course, change, word):
    r = teacher.post(f"/api/courses/{course['id']}/labs/", dict(LAB, **change), format="json")
    assert r.status_code == 400, r.content
    assert word in r.json()["detail"]


def test_it_refuses_another_users_upload_as_the_dataset(teacher, course, outsider):
    import io

    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    np.savez(buf, x=np.zeros((20, 4), "float32"), y=np.arange(20) % 2)
    ds = outsider.post("/api/datasets/", {"name": "z", "file": SimpleUploadedFile("z.npz", buf.getvalue())},
                       format="multipart").json()
    r = teacher.post(f"/api/courses/{course['id']}/labs/", dict(LAB, dataset=ds["id"]), format="json")
    assert r.status_code == 400 and "dataset" in r.json()["detail"]


def test_students_see_published_labs_only(teacher, course, lab, ann):
    hidden = teacher.post(f"/api/courses/{course['id']}/labs/", dict(LAB, published=False), format="json").json()
    assert [x["id"] for x in ann.get(f"/api/courses/{course['id']}/labs/").json()] == [lab["id"]]
    assert len(teacher.get(f"/api/courses/{course['id']}/labs/").json()) == 2
    assert ann.get(f"/api/labs/{hidden['id']}/").status_code == 404
    assert ann.get(f"/api/labs/{hidden['id']}/design/").status_code == 404


def test_only_the_teacher_changes_a_lab(teacher, lab, ann, outsider):
    url = f"/api/labs/{lab['id']}/"
    assert ann.patch(url, {"title": "x"}, format="json").status_code == 403
    assert ann.delete(url).status_code == 403 and ann.post(url + "reveal/").status_code == 403
    assert ann.get(url + "grades.csv").status_code == 403
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("get", "design/"), ("get", "runs/"),
                         ("post", "submit/"), ("get", "leaderboard/"), ("post", "reveal/"), ("get", "grades.csv"),
                         ("post", "copy/"), ("get", f"designs/{ann.user.pk}/")]:
        assert getattr(outsider, method)(url + path, {}, format="json").status_code == 404, path
    r = teacher.patch(url, {"title": "Harder", "limits": {"max_epochs": 2}}, format="json")
    assert r.status_code == 200 and r.json()["title"] == "Harder" and r.json()["limits"]["max_epochs"] == 2


def test_it_gives_each_student_one_copy_of_the_starter(lab, ann, ben, teacher):
    first = ann.get(f"/api/labs/{lab['id']}/design/").json()
    assert first["document"]["nodes"] == LAB["starter"]["nodes"] and first["lab"]["locked"] == ["image", "logits"]
    assert ann.get(f"/api/labs/{lab['id']}/design/").json()["id"] == first["id"]
    assert ben.get(f"/api/labs/{lab['id']}/design/").json()["id"] != first["id"]
    assert ann.get(f"/api/graphs/{first['id']}/").status_code == 200  # mine to edit with the graph API
    assert teacher.get(f"/api/labs/{lab['id']}/design/").status_code == 403
    seen = teacher.get(f"/api/labs/{lab['id']}/designs/{ann.user.pk}/").json()
    assert seen["id"] == first["id"] and seen["student"] == "ann"
    assert ben.get(f"/api/labs/{lab['id']}/designs/{ann.user.pk}/").status_code == 403
    assert teacher.put(f"/api/graphs/{first['id']}/", {"name": "x", "document": LAB["starter"]},
                       format="json").status_code == 404  # the teacher reads, never edits


def test_it_copies_a_lab_into_another_course_of_mine(teacher, lab, outsider):
    other = teacher.post("/api/courses/", {"name": "Term 2"}, format="json").json()
    r = teacher.post(f"/api/labs/{lab['id']}/copy/", {"course": other["id"]}, format="json")
    assert r.status_code == 201
    copy = r.json()
    assert copy["course"] == other["id"] and copy["id"] != lab["id"] and copy["published"] is False
    assert copy["starter"] == lab["starter"] and copy["limits"] == lab["limits"]
    theirs = outsider.post("/api/courses/", {"name": "Not yours"}, format="json").json()
    assert teacher.post(f"/api/labs/{lab['id']}/copy/", {"course": theirs["id"]}, format="json").status_code == 404
    assert teacher.post(f"/api/labs/{lab['id']}/copy/", {"course": "x"}, format="json").status_code == 400
