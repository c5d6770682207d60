"""A teacher, two students and an outsider, and a lab on digits with two locked blocks."""
import copy

import pytest

from tests.api.conftest import DIGITS_MLP, anon, make_client, media_in_tmp  # noqa: F401  (fixtures)

LAB = {
    "title": "Beat the baseline MLP", "instructions": "Train **well**.", "starter": DIGITS_MLP,
    "locked": ["image", "logits"], "allowed_blocks": ["Flatten", "Linear", "ReLU", "Dropout"],
    "dataset": "digits", "public_fraction": 0.4,
    "limits": {"max_params": 20000, "max_epochs": 3, "max_runs": 3, "max_queued": 1},
    "settings": {"batch_size": 32}, "published": True,
}


def design(**changes) -> dict:
    doc = copy.deepcopy(DIGITS_MLP)
    for node in doc["nodes"]:
        node.update(changes.get(node["id"], {}))
    return doc


@pytest.fixture
def teacher(db, make_client):  # noqa: F811
    return make_client("teach")


@pytest.fixture
def course(teacher):
    return teacher.post("/api/courses/", {"name": "ML 101"}, format="json").json()


def join(client, course) -> None:
    r = client.post("/api/courses/join/", {"code": course["join_code"]}, format="json")
    assert r.status_code == 200, r.content


@pytest.fixture
def ann(course, make_client):  # noqa: F811
    client = make_client("ann")
    join(client, course)
    return client


@pytest.fixture
def ben(course, make_client):  # noqa: F811
    client = make_client("ben")
    join(client, course)
    return client


@pytest.fixture
def outsider(db, make_client):  # noqa: F811
    return make_client("zed")


@pytest.fixture
def lab(teacher, course):
    r = teacher.post(f"/api/courses/{course['id']}/labs/", LAB, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def lab_run(client, lab, **fields):
    body = {"graph": DIGITS_MLP, "lab": lab["id"], "epochs": 2}
    body.update(fields)
    return client.post("/api/runs/", body, format="json")
