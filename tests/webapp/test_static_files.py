"""webapp.static.StaticFiles, in process: static files are answered in front of Django (which is
never called for them), with WhiteNoise's headers and the collected file's own bytes; everything
else goes on to Django. Needs `make static` (part of `make test`) to have filled STATIC_ROOT."""
import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings

from webapp import settings as project
from webapp.static import StaticFiles


@pytest.fixture(autouse=True)
def hashed_storage(settings):
    """The project's own storage (hashed names), as `make run` serves them; tests/conftest.py gives
    in-process tests plain storage, under which nothing counts as immutable."""
    settings.STORAGES = project.STORAGES


def call(app, path: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    with ThreadPoolExecutor(1) as thread:  # a loop of its own, also where the browser tests left one running here
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    start, bodies = sent[0], sent[1:]
    assert all(b["type"] == "http.response.body" for b in bodies) and not bodies[-1].get("more_body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, b"".join(b["body"] for b in bodies)


class Django:
    """Stands in for Django's handler: records what reached it and answers 418."""

    def __init__(self):
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def collected(suffix: str) -> str:
    """The URL of a hashed file WhiteNoise serves forever, ending in `suffix`."""
    hashed = re.compile(r"\.[0-9a-f]{12}" + re.escape(suffix) + "$")
    urls = [u for u in StaticFiles(Django()).whitenoise.files if hashed.search(u)]
    assert urls, f"no collected *{suffix} under {settings.STATIC_ROOT}: run `make static`"
    return min(urls, key=len)


def on_disk(url: str) -> bytes:
    return (settings.STATIC_ROOT / url[len(settings.STATIC_URL):]).read_bytes()


def test_it_answers_a_static_file_without_django_with_the_files_bytes_and_headers():
    django = Django()
    app = StaticFiles(django)
    url = collected(".css")
    status, headers, body = call(app, url, headers={"Accept-Encoding": "identity"})
    assert status == 200 and body == on_disk(url) and django.paths == []
    assert "immutable" in headers["cache-control"] and headers["x-content-type-options"] == "nosniff"
    status, headers, body = call(app, url, headers={"Accept-Encoding": "br"})
    assert status == 200 and headers["content-encoding"] == "br" and body == on_disk(url + ".br")
    status, headers, body = call(app, url, "HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) == len(on_disk(url))
    assert django.paths == []


def test_it_sends_a_file_larger_than_one_read_whole_and_in_order():
    big = max((u for u in StaticFiles(Django()).whitenoise.files if u.endswith(".js")),
              key=lambda u: len(on_disk(u)))
    assert len(on_disk(big)) > 256 * 1024, big  # the plotly bundle: several reads
    assert call(StaticFiles(Django()), big, headers={"Accept-Encoding": "identity"})[2] == on_disk(big)


def test_it_leaves_everything_else_to_django():
    django = Django()
    app = StaticFiles(django)
    url = collected(".css")
    for method, path in [("GET", "/"), ("GET", "/api/blocks/"), ("GET", "/static/no-such-file.js"), ("POST", url)]:
        assert call(app, path, method)[0] == 418
    assert django.paths == [("GET", "/"), ("GET", "/api/blocks/"), ("GET", "/static/no-such-file.js"), ("POST", url)]
