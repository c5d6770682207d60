"""Nothing a client can send gives a 500: every endpoint answers garbage with a 4xx and a message."""
import pytest

GARBAGE = [None, 0, -1, 1e308, "x" * 5000, [], [1, [2, [3]]], {"a": {"b": None}}, True,
           {"graph": None, "dataset": None}, {"graph": {"format": "layerlab.graph/1"}, "dataset": "digits"},
           {"graph": [], "dataset": {}}, {"name": "", "document": {}}, {"name": "n", "document": {"format": 7}}]

ENDPOINTS = [("post", "/api/graphs/summary/"), ("post", "/api/graphs/"), ("put", "/api/graphs/1/"),
             ("post", "/api/runs/"), ("post", "/api/runs/check/"), ("post", "/api/auth/token/"),
             ("post", "/api/datasets/"), ("post", "/api/runs/1/stop/")]

QUERIES = ["/api/runs/1/metrics/?after=-5", "/api/runs/1/metrics/?after=1e9999", "/api/runs/abc/",
           "/api/datasets/..%2F..%2Fetc/preview/", "/api/datasets/99999999999999999999/preview/",
           "/api/graphs/1/export/?to=%00", "/api/runs/1/weights/?format=../../x"]


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_it_answers_garbage_bodies_with_a_4xx_message(alice, method, path):
    alice.post("/api/graphs/", {"name": "g", "document": {"format": "layerlab.graph/1", "name": "g", "nodes": []}},
               format="json")
    alice.post("/api/runs/", {"graph": {"format": "layerlab.graph/1"}, "dataset": "digits"}, format="json")
    for body in GARBAGE:
        r = getattr(alice, method)(path, body, format="json")
        assert r.status_code < 500, (path, body, r.content[:300])
        if r.status_code >= 400:
            assert r.json().get("detail"), (path, body, r.content[:300])


@pytest.mark.parametrize("path", QUERIES)
def test_it_answers_odd_urls_with_a_4xx(alice, path):
    r = alice.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)


def test_it_refuses_a_body_over_the_size_limit(alice, settings):
    huge = {"format": "layerlab.graph/1", "name": "big", "nodes": [{"id": f"n{i}", "type": "ReLU", "inputs": [f"n{i - 1}"]}
                                                                  for i in range(1, 200_000)]}
    r = alice.post("/api/graphs/summary/", huge, format="json")
    assert r.status_code in (200, 400, 413)
    assert r.status_code != 200 or r.json()["valid"] is False
