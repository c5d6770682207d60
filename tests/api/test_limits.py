"""Bodies too deep or too large, and unknown paths: every /api/ answer is a 4xx JSON sentence."""
import json

import pytest

DEEP = "[" * 1000 + "]" * 1000
JSON_ENDPOINTS = [("post", "/api/graphs/summary/"), ("post", "/api/graphs/"), ("post", "/api/runs/"),
                  ("post", "/api/runs/check/"), ("post", "/api/auth/token/")]


@pytest.mark.parametrize("method,path", JSON_ENDPOINTS)
def test_it_refuses_json_nested_1000_deep(alice, anon, method, path):
    anonymous_ok = path in ("/api/graphs/summary/", "/api/auth/token/")
    for client in (alice, anon) if anonymous_ok else (alice,):
        r = getattr(client, method)(path, DEEP, content_type="application/json")
        assert r.status_code == 400, (path, r.status_code)
        assert r.json() == {"detail": "the JSON body is nested deeper than 64 levels"}


def test_it_refuses_a_deep_document_inside_an_ordinary_body(anon):
    doc = {"format": "layerlab.graph/1", "name": "x", "nodes": []}
    inner = doc
    for _ in range(100):
        inner["ui"] = {}
        inner = inner["ui"]
    r = anon.post("/api/graphs/summary/", doc, format="json")
    assert r.status_code == 400 and "nested deeper than 64" in r.json()["detail"]


def test_it_accepts_nesting_up_to_the_limit(anon, settings):
    settings.LAYERLAB_MAX_JSON_DEPTH = 5
    ok = anon.post("/api/graphs/summary/", "[[[[[]]]]]", content_type="application/json")
    assert ok.status_code == 200 and ok.json()["valid"] is False
    deep = anon.post("/api/graphs/summary/", "[[[[[[]]]]]]", content_type="application/json")
    assert deep.status_code == 400 and deep.json()["detail"] == "the JSON body is nested deeper than 5 levels"


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/graphs/1/nope/", "/api/runs/x/y/z/"])
def test_it_answers_unknown_api_paths_with_json_404(alice, path):
    r = alice.get(path)
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    assert path in r.json()["detail"]


def test_it_keeps_html_404_pages_outside_the_api(alice):
    r = alice.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_it_answers_a_wrong_method_with_json_405(alice):
    r = alice.delete("/api/graphs/summary/")
    assert r.status_code == 405 and r.json()["detail"] and "POST" in r["Allow"]


def test_it_refuses_a_body_over_the_limit_with_json_413(alice, anon, settings):
    body = json.dumps({"name": "big", "document": {"pad": "x" * (6 * 2**20)}})
    for client in (alice, anon):
        r = client.post("/api/graphs/summary/", body, content_type="application/json")
        assert r.status_code == 413, r.content[:200]
        assert r.json()["detail"] == "the request body is 6.0 MB; the limit here is 5 MB"


def test_it_refuses_an_upload_by_its_content_length_before_reading_it(alice, settings):
    settings.LAYERLAB_MAX_UPLOAD_MB = 1
    r = alice.generic("POST", "/api/datasets/", b"", content_type="multipart/form-data; boundary=x",
                      HTTP_CONTENT_LENGTH=str(50 * 2**20), CONTENT_LENGTH=str(50 * 2**20))
    assert r.status_code == 413
    assert r.json()["detail"] == "the request body is 50.0 MB; the limit here is 1 MB"


def test_it_answers_a_failed_csrf_check_on_the_api_with_json(alice, django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    r = client.post("/api/graphs/", {"name": "g"}, content_type="application/json")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


def test_it_answers_a_form_field_over_the_memory_limit_with_json_413(alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = alice.post("/api/datasets/", {"name": "x" * (6 * 2**20), "file": SimpleUploadedFile("a.csv", b"a,label\n1,2\n")},
                   format="multipart")
    assert r.status_code == 413 and r.json()["detail"] == (
        "the request's data (uploaded files aside) is larger than the limit of 5 MB")
