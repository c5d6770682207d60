"""The classroom's pages: 404 outside the course, the teacher's pages for the teacher only, and
instructions rendered from Markdown without any HTML of their own."""
from tests.classroom.conftest import LAB


def test_it_renders_markdown_but_never_the_teachers_html(teacher, course, ann):
    text = "# Goal\n\nBeat **0.9**.\n\n<script>alert('x')</script>\n\n[link](javascript:alert(1))"
    lab = teacher.post(f"/api/courses/{course['id']}/labs/", dict(LAB, instructions=text), format="json").json()
    ann.force_login(ann.user)
    page = ann.get(f"/labs/{lab['id']}/").content.decode()
    assert "<h1>Goal</h1>" in page and "<strong>0.9</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="javascript:' not in page


def test_the_pages_answer_404_outside_the_course(teacher, course, lab, ann, outsider):
    outsider.force_login(outsider.user)
    for path in (f"/courses/{course['id']}/", f"/labs/{lab['id']}/", f"/labs/{lab['id']}/wall/",
                 f"/courses/{course['id']}/labs/new/", f"/courses/{course['id']}/labs/{lab['id']}/edit/"):
        assert outsider.get(path).status_code == 404, path
    ann.force_login(ann.user)
    assert ann.get(f"/labs/{lab['id']}/").status_code == 200
    assert ann.get(f"/labs/{lab['id']}/wall/").status_code == 404
    assert ann.get(f"/courses/{course['id']}/labs/new/").status_code == 404
    teacher.force_login(teacher.user)
    for path in (f"/courses/{course['id']}/", f"/labs/{lab['id']}/wall/", f"/courses/{course['id']}/labs/new/",
                 f"/courses/{course['id']}/labs/{lab['id']}/edit/", "/courses/"):
        assert teacher.get(path).status_code == 200, path
    assert course["join_code"] in teacher.get(f"/courses/{course['id']}/").content.decode()
    assert course["join_code"] not in ann.get(f"/courses/{course['id']}/").content.decode()


def test_the_join_link_makes_me_a_student(course, outsider):
    outsider.force_login(outsider.user)
    r = outsider.get(f"/join/{course['join_code']}/")
    assert r.status_code == 302 and r["Location"] == f"/courses/{course['id']}/"
    assert outsider.get(f"/api/courses/{course['id']}/").json()["role"] == "student"
    assert outsider.get("/join/WRONG234/").status_code == 404
