"""Server-side pages and the admin: every model in the admin, another user's things are 404."""
import pytest
from django.test import Client

from tests.api.conftest import DIGITS_MLP


@pytest.fixture
def browser_for(django_user_model):
    def make(username: str, **extra) -> Client:
        user = django_user_model.objects.create_user(username=username, password="pw-long-enough", **extra)
        client = Client()
        client.force_login(user)
        client.user = user
        return client
    return make


def test_it_shows_every_model_in_the_admin(db, browser_for, alice):
    alice.post("/api/graphs/", {"name": "g", "document": DIGITS_MLP}, format="json")
    run_id = alice.post("/api/runs/", {"graph": DIGITS_MLP, "dataset": "digits"}, format="json").json()["id"]
    admin = browser_for("root", is_staff=True, is_superuser=True)
    for path in ("builder/graph", "trainer/dataset", "trainer/run", "trainer/runmessage", "auth/user", "authtoken/tokenproxy"):
        r = admin.get(f"/admin/{path}/")
        assert r.status_code == 200, path
    assert b"digits-mlp" in admin.get(f"/admin/trainer/run/{run_id}/change/").content


def test_it_answers_404_on_pages_for_another_users_design_and_run(db, browser_for, alice):
    gid = alice.post("/api/graphs/", {"name": "g", "document": DIGITS_MLP}, format="json").json()["id"]
    rid = alice.post("/api/runs/", {"graph": gid, "dataset": "digits"}, format="json").json()["id"]
    owner = Client()
    owner.force_login(alice.user)
    assert owner.get(f"/editor/{gid}/").status_code == 200
    assert owner.get(f"/runs/{rid}/").status_code == 200
    bob = browser_for("bob-pages")
    assert bob.get(f"/editor/{gid}/").status_code == 404
    assert bob.get(f"/runs/{rid}/").status_code == 404
    assert b"digits-mlp" not in bob.get("/").content


def test_it_sends_visitors_to_log_in_for_runs_but_lets_them_try_the_editor(db):
    visitor = Client()
    assert visitor.get("/editor/").status_code == 200
    r = visitor.get("/runs/1/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    home = visitor.get("/")
    assert home.status_code == 200 and b"/accounts/signup/" in home.content and b"/editor/" in home.content


def test_it_signs_up_logs_in_and_logs_out(db):
    c = Client()
    r = c.post("/accounts/signup/", {"username": "newbie", "password1": "a-fine-passphrase", "password2": "a-fine-passphrase"})
    assert r.status_code == 302
    assert c.get("/").context["user"].username == "newbie"
    c.post("/accounts/logout/")
    assert not c.get("/").context["user"].is_authenticated
    assert c.post("/accounts/login/", {"username": "newbie", "password": "a-fine-passphrase"}).status_code == 302
    bad = Client().post("/accounts/signup/", {"username": "x", "password1": "short", "password2": "short"})
    assert bad.status_code == 200 and b"too short" in bad.content


def test_the_run_page_carries_the_run_as_the_api_gives_it(db, alice):
    """run.js, xray.js and a lab run's score start from this, without a request of their own."""
    import json
    import re

    rid = alice.post("/api/runs/", {"graph": DIGITS_MLP, "dataset": "digits", "epochs": 3}, format="json").json()["id"]
    owner = Client()
    owner.force_login(alice.user)
    html = owner.get(f"/runs/{rid}/").content.decode()
    embedded = json.loads(re.search(r'<script id="run-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert embedded == alice.get(f"/api/runs/{rid}/").json()
    assert embedded["config"]["epochs"] == 3 and embedded["document"]["name"] == DIGITS_MLP["name"]
