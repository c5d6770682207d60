"""Static files from the real Daphne as production sites serve them: every file a page loads (and
every module those import) has a hashed name, comes gzip- or brotli-compressed when asked, and
may be cached for a year without asking again; no page loads the full plotly.js bundle."""
import re
from urllib.parse import urljoin

import pytest
import requests

from tests.api.conftest import DIGITS_MLP
from tests.live import PASSWORD, ROOT

pytestmark = pytest.mark.integration

YEAR = 315360000  # WhiteNoise's "forever" for hashed names


@pytest.fixture(scope="module")
def browser(live_app):
    """A logged-in session (the run and compare pages need one) that owns a run."""
    username, _, token = live_app.signup()
    session = requests.Session()
    session.get(f"{live_app.url}/accounts/login/").raise_for_status()
    session.post(f"{live_app.url}/accounts/login/", headers={"Referer": live_app.url},
                 data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    run = live_app.api(token).post(f"{live_app.url}/api/runs/", json={"graph": DIGITS_MLP, "dataset": "digits", "epochs": 1})
    assert run.status_code == 201, run.text
    session.run_id = run.json()["id"]
    return session


def static_urls(session, page_url: str) -> set[str]:
    """Every /static/ file the page names, and the ES modules those import, transitively."""
    html = session.get(page_url).text
    todo = {urljoin(page_url, u) for u in re.findall(r'(?:src|href)="(/static/[^"]+)"', html)}
    seen = set()
    while todo:
        url = todo.pop()
        seen.add(url)
        if url.endswith(".js") and "/plotly/" not in url:
            body = session.get(url).text
            todo |= {urljoin(url, u) for u in re.findall(r'from\s*"(\.[^"]+)"', body)} - seen
    return seen


def test_it_serves_every_static_file_compressed_and_cached_forever(live_app, browser):
    pages = ["/", "/editor/", "/datasets/", "/accounts/login/", f"/runs/{browser.run_id}/",
             f"/runs/compare/?ids={browser.run_id}"]
    urls = set().union(*(static_urls(browser, live_app.url + p) for p in pages))
    assert any("/plotly/" in u for u in urls) and any(u.endswith(".css") for u in urls)
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", url), f"{url} has no content hash in its name"
        for encoding in ("gzip", "br"):
            r = requests.get(url, headers={"Accept-Encoding": encoding}, stream=True)
            assert r.status_code == 200, url
            assert r.headers.get("Content-Encoding") == encoding, (url, encoding, r.headers)
            assert r.headers["Vary"] == "Accept-Encoding", url
            cache = r.headers["Cache-Control"]
            assert f"max-age={YEAR}" in cache and "immutable" in cache, (url, cache)
            assert r.headers["X-Content-Type-Options"] == "nosniff", url  # answered before SecurityMiddleware
        plain = requests.get(url, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers and len(plain.content) > 0, url
    # Streamed without Django's warning that it had to buffer a sync iterator under ASGI.
    assert "synchronous iterators" not in live_app.log("daphne")


def test_it_answers_a_revalidation_with_304(live_app, browser):
    url = next(u for u in static_urls(browser, live_app.url + "/") if u.endswith(".css"))
    first = requests.get(url)
    again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_it_never_loads_the_full_plotly_bundle(live_app, browser):
    for page in (f"/runs/{browser.run_id}/", f"/runs/compare/?ids={browser.run_id}"):
        plotly = [u for u in static_urls(browser, live_app.url + page) if "plotly" in u]
        assert len(plotly) == 1 and "/static/plotly/plotly-layerlab.min." in plotly[0], plotly
        size = len(requests.get(plotly[0], headers={"Accept-Encoding": "identity"}).content)
        assert size < 1_500_000, f"{plotly[0]} is {size} bytes: more than the partial bundle"
    assert requests.get(f"{live_app.url}/static/plotly/plotly.min.js").status_code == 404


def test_it_leaves_other_requests_to_django(live_app):
    missing = requests.get(f"{live_app.url}/static/nothing-here.js")
    assert missing.status_code == 404 and "immutable" not in missing.headers.get("Cache-Control", "")
    blocks = requests.get(f"{live_app.url}/api/blocks/")
    assert blocks.status_code == 200 and blocks.json()


def test_it_answers_head_and_byte_ranges_with_the_files_own_bytes(live_app, browser):
    url = next(u for u in static_urls(browser, live_app.url + f"/runs/{browser.run_id}/") if "/plotly/" in u)
    whole = requests.get(url, headers={"Accept-Encoding": "identity"}).content
    # More than one read of the file: the body arrives whole and in order, as built.
    assert whole == (ROOT / "build" / "plotly" / "plotly-layerlab.min.js").read_bytes() and len(whole) > 256 * 1024
    head = requests.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["Content-Length"]) == len(whole)
    part = requests.get(url, headers={"Accept-Encoding": "identity", "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole[100:200]
