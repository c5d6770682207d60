"""Courses: roles, join codes, members, and 404 for everyone outside."""
from tests.classroom.conftest import join


def test_it_creates_a_course_and_lists_it_with_my_role(teacher, course, ann):
    assert course["role"] == "teacher" and course["name"] == "ML 101" and len(course["join_code"]) == 8
    assert [(c["id"], c["role"]) for c in teacher.get("/api/courses/").json()] == [(course["id"], "teacher")]
    mine = ann.get("/api/courses/").json()
    assert [(c["id"], c["role"]) for c in mine] == [(course["id"], "student")] and "join_code" not in mine[0]
    assert "join_code" not in ann.get(f"/api/courses/{course['id']}/").json()


def test_it_joins_twice_without_error_and_refuses_a_wrong_code(course, ann):
    again = ann.post("/api/courses/join/", {"code": course["join_code"].lower()}, format="json")
    assert again.status_code == 200 and again.json()["role"] == "student"
    r = ann.post("/api/courses/join/", {"code": "NOPE2345"}, format="json")
    assert r.status_code == 404 and "code" in r.json()["detail"]
    assert ann.post("/api/courses/join/", {"code": 7}, format="json").status_code == 400


def test_it_rotates_the_code_and_the_old_one_stops_working(teacher, course, make_client):
    new = teacher.post(f"/api/courses/{course['id']}/code/").json()["join_code"]
    assert new != course["join_code"]
    late = make_client("late")
    assert late.post("/api/courses/join/", {"code": course["join_code"]}, format="json").status_code == 404
    assert late.post("/api/courses/join/", {"code": new}, format="json").status_code == 200


def test_it_lists_and_removes_members(teacher, course, ann, ben):
    members = teacher.get(f"/api/courses/{course['id']}/members/").json()
    assert [m["username"] for m in members] == ["ann", "ben"]
    assert teacher.delete(f"/api/courses/{course['id']}/members/{ann.user.pk}/").status_code == 204
    assert ann.get(f"/api/courses/{course['id']}/").status_code == 404
    assert teacher.delete(f"/api/courses/{course['id']}/members/{ann.user.pk}/").status_code == 404


def test_it_lets_only_the_teacher_change_the_course(teacher, course, ann):
    url = f"/api/courses/{course['id']}/"
    assert ann.patch(url, {"name": "mine now"}, format="json").status_code == 403
    assert ann.delete(url).status_code == 403
    assert ann.post(url + "code/").status_code == 403
    assert ann.get(url + "members/").status_code == 403
    assert ann.delete(url + f"members/{ann.user.pk}/").status_code == 403
    assert teacher.patch(url, {"name": "ML 102"}, format="json").json()["name"] == "ML 102"
    assert teacher.patch(url, {"name": ""}, format="json").status_code == 400
    assert teacher.delete(url).status_code == 204 and ann.get(url).status_code == 404


def test_it_answers_404_to_anyone_outside_the_course(course, outsider, anon):
    url = f"/api/courses/{course['id']}/"
    for path in ("", "members/", "labs/"):
        assert outsider.get(url + path).status_code == 404
    assert outsider.patch(url, {"name": "x"}, format="json").status_code == 404
    assert outsider.post(url + "code/").status_code == 404
    assert outsider.post(url + "labs/", {}, format="json").status_code == 404
    assert anon.get(url).status_code in (401, 403)


def test_it_refuses_a_teacher_joining_their_own_course(teacher, course):
    r = teacher.post("/api/courses/join/", {"code": course["join_code"]}, format="json")
    assert r.status_code == 400 and "teach" in r.json()["detail"]


def test_it_refuses_a_course_without_a_name(teacher):
    assert teacher.post("/api/courses/", {}, format="json").status_code == 400
    assert "name" in teacher.post("/api/courses/", {"name": ""}, format="json").json()["detail"]


def test_students_of_one_course_cannot_reach_another(teacher, course, ann, make_client):
    other = teacher.post("/api/courses/", {"name": "Other"}, format="json").json()
    assert ann.get(f"/api/courses/{other['id']}/").status_code == 404
    join(make_client("cy"), other)
    assert ann.get(f"/api/courses/{other['id']}/labs/").status_code == 404
