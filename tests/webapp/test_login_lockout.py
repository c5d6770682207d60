"""Guessing passwords: after LAYERLAB_LOGIN_FAILURES bad attempts a username is locked out from that
address, on the login page and on POST /api/auth/token/ alike, until the cool-off has passed."""
import time
from datetime import timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient


@pytest.fixture
def short_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(hours=1)  # no lockout ends by itself while a slow machine asserts it
    return settings


def cool_off(settings) -> None:
    """Let the cool-off pass: shorten it, then wait it out for real."""
    settings.AXES_COOLOFF_TIME = timedelta(milliseconds=200)
    time.sleep(0.3)


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user(username="carol", password="right-password-1")


def token(client, password):
    return client.post("/api/auth/token/", {"username": "carol", "password": password}, format="json")


def test_it_locks_the_token_endpoint_after_too_many_failures(db, carol, short_lockout):
    client = APIClient()
    for _ in range(2):
        r = token(client, "wrong")
        assert r.status_code == 400 and r.json()["detail"]
    assert token(client, "wrong").status_code == 429  # the third failure locks
    locked = token(client, "right-password-1")  # even the right password, while locked
    assert locked.status_code == 429, locked.content
    assert locked["Content-Type"] == "application/json" and locked.json()["detail"]
    cool_off(short_lockout)
    ok = token(client, "right-password-1")
    assert ok.status_code == 200 and ok.json()["token"]


def test_it_locks_the_login_page_after_too_many_failures(db, carol, short_lockout):
    client = Client()
    for _ in range(2):
        r = client.post("/accounts/login/", {"username": "carol", "password": "wrong"})
        assert r.status_code == 200 and "_auth_user_id" not in client.session
    assert client.post("/accounts/login/", {"username": "carol", "password": "wrong"}).status_code == 429
    locked = client.post("/accounts/login/", {"username": "carol", "password": "right-password-1"})
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    cool_off(short_lockout)
    ok = client.post("/accounts/login/", {"username": "carol", "password": "right-password-1"})
    assert ok.status_code == 302 and client.session["_auth_user_id"] == str(carol.pk)


def test_it_locks_one_username_not_everyone_at_that_address(db, carol, short_lockout, django_user_model):
    django_user_model.objects.create_user(username="dave", password="dave-password-1")
    client = APIClient()
    for _ in range(4):
        token(client, "wrong")
    r = client.post("/api/auth/token/", {"username": "dave", "password": "dave-password-1"}, format="json")
    assert r.status_code == 200


def test_it_counts_failures_below_the_limit_as_ordinary_mistakes(db, carol, short_lockout):
    client = APIClient()
    for _ in range(2):
        assert token(client, "wrong").status_code == 400
    assert token(client, "right-password-1").status_code == 200
    for _ in range(2):  # a success wiped the slate
        assert token(client, "wrong").status_code == 400
    assert token(client, "right-password-1").status_code == 200
