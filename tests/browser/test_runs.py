"""Training from the browser: the Train dialog, the live run page, downloads, compare, stop, 404."""
import io
import re
import time

import pytest
import torch
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.helpers import canvas_point, drag_block, open_editor, set_param, wire

pytestmark = pytest.mark.browser

MLP = {
    "format": "layerlab.graph/1", "name": "digits-mlp",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "flat", "type": "Flatten", "inputs": ["image"]},
        {"id": "hidden", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 32, "activation": "relu"}},
        {"id": "logits", "type": "Linear", "inputs": ["hidden"], "params": {"out_features": 10}},
    ],
}


def start_run(live_app, token: str, **options) -> int:
    body = {"graph": MLP, "dataset": "digits", "epochs": 2, **options}
    response = live_app.api(token).post(f"{live_app.url}/api/runs/", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_final(live_app, token: str, run_id: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = live_app.api(token).get(f"{live_app.url}/api/runs/{run_id}/").json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return run
        time.sleep(0.5)
    raise TimeoutError(f"run {run_id} did not finish")


def chart_points(page, chart: str = "#chart-loss") -> int:
    return page.evaluate(f"() => (document.querySelector('{chart}').data ?? []).reduce((n, t) => n + t.x.length, 0)")


def test_it_trains_on_digits_with_live_curves_and_downloads_weights(page, console, live_app, account, artifacts):
    log_in(page, live_app.url, *account)
    open_editor(page, live_app.url)
    page.fill("#design-name", "browser-mlp")
    for i, block in enumerate(["Input", "Flatten", "Linear", "Linear"]):
        drag_block(page, block, *canvas_point(page, 0.12 + 0.25 * i, 0.25 + 0.2 * (i % 2)))
        if block == "Input":
            set_param(page, "shape", "1, 10, 10")  # deliberately not the dataset's shape
        if block == "Linear":
            set_param(page, "out_features", "32" if i == 2 else "10")
    for a, b in [("input1", "flat1"), ("flat1", "fc1"), ("fc1", "fc2")]:
        wire(page, a, b)
    expect(page.locator("#valid-badge")).to_contain_text("valid")

    page.click("#train")
    page.select_option("#t-dataset", "digits")
    fix = page.locator("#t-problems button.fix")
    expect(fix).to_be_visible()
    fix.click()
    expect(page.locator("#t-problems")).to_contain_text("fits this dataset")
    page.fill("#t-epochs", "3")
    page.fill("#t-batch_size", "16")
    page.click("#t-start")
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    page.wait_for_function("() => { const c = document.querySelector('#chart-loss'); return c && c.data && c.data[0].x.length > 0; }")
    expect(page.locator("#test-acc")).to_have_text(re.compile(r"^\d+\.\d%$"), timeout=120_000)
    assert float(page.inner_text("#test-acc").rstrip("%")) > 50
    expect(page.locator("#status")).to_have_text("succeeded")
    assert page.evaluate("() => document.querySelector('#chart-loss').data[1].x.length") == 3  # one val point per epoch
    assert chart_points(page) > 6
    expect(page.locator("#samples li canvas").first).to_be_visible()
    page.screenshot(path=str(artifacts / "run.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#weights-links a[href$='format=pt']")
    download = info.value
    assert download.suggested_filename == f"run-{run_id}.pt"
    state = torch.load(io.BytesIO(open(download.path(), "rb").read()), weights_only=True)
    assert state["fc1.weight"].shape == (32, 64)


def test_it_stops_a_run_from_its_page_while_points_arrive_live(page, console, live_app, account):
    run_id = start_run(live_app, account[2], epochs=300, batch_size=8)
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/runs/{run_id}/")
    expect(page.locator("#status")).to_have_text("running", timeout=60_000)
    page.wait_for_function("() => { const c = document.querySelector('#chart-loss'); return c && c.data && c.data[0].x.length > 0; }")
    seen = chart_points(page)
    page.wait_for_function(f"() => document.querySelector('#chart-loss').data[0].x.length > {seen}")  # live
    page.click("#stop")
    expect(page.locator("#status")).to_have_text("cancelled", timeout=30_000)
    expect(page.locator("#stop")).to_be_hidden()


def test_a_queued_runs_page_shows_empty_axes_and_its_place_in_the_queue(page, console, live_app, account):
    token = account[2]
    busy = start_run(live_app, token, epochs=300, batch_size=8)  # holds the one slot (and the user's limit)
    waiting = start_run(live_app, token, epochs=1)
    try:
        log_in(page, live_app.url, *account)
        page.goto(f"{live_app.url}/runs/{waiting}/")
        expect(page.locator("#status")).to_have_text("queued")
        expect(page.locator("#queue")).to_be_visible()
        # Empty axes: a queued run has no point to wait for.
        page.wait_for_function("() => Array.isArray(document.querySelector('#chart-loss').data)", timeout=5_000)
        assert chart_points(page) == 0 and chart_points(page, "#chart-acc") == 0
    finally:
        for run_id in (waiting, busy):
            live_app.api(token).post(f"{live_app.url}/api/runs/{run_id}/stop/")
        wait_final(live_app, token, busy)


def test_it_compares_two_runs(page, console, live_app, account):
    first = start_run(live_app, account[2], epochs=1)
    second = start_run(live_app, account[2], epochs=2, lr=0.01)
    wait_final(live_app, account[2], first)
    wait_final(live_app, account[2], second)
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/runs/compare/?ids={first},{second}")
    table = page.locator("#cmp-table")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("tr", has_text="epochs").locator("td.differs")).to_have_count(2)
    expect(table.locator("tr", has_text="parameters").locator("td.differs")).to_have_count(0)
    page.wait_for_function("() => document.querySelector('#cmp-loss').data.length === 4")
    assert page.evaluate("() => document.querySelector('#cmp-acc').data[3].x.length") == 2


def test_it_answers_404_for_another_users_run_page(page, console, live_app, account):
    run_id = start_run(live_app, account[2], epochs=1)
    stranger = live_app.signup()
    log_in(page, live_app.url, *stranger)
    console.allow(r"status of 404")
    response = page.goto(f"{live_app.url}/runs/{run_id}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("#chart-loss")).to_have_count(0)
