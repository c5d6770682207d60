"""The run page's X-ray view, live: the design coloured by a statistic, a block's feature maps on click."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_runs import wait_final
from tests.trainer.test_xray import TINY_CNN

pytestmark = pytest.mark.browser

STEP = "() => { const m = /step (\\d+)/.exec(document.querySelector('#xray-step-label').textContent); return m ? +m[1] : 0; }"


def test_it_updates_the_xray_live_and_shows_a_blocks_feature_maps(page, console, live_app, account, artifacts):
    log_in(page, live_app.url, *account)
    api = live_app.api(account[2])
    response = api.post(f"{live_app.url}/api/runs/", json={"graph": TINY_CNN, "dataset": "digits", "epochs": 40,
                                                           "batch_size": 4})
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    page.goto(f"{live_app.url}/runs/{run_id}/")

    expect(page.locator("#xray-step-label")).to_contain_text("live", timeout=60_000)
    expect(page.locator("#xray-graph g.xray-node")).to_have_count(5)  # every node of the design, the input too
    first = page.evaluate(STEP)
    page.wait_for_function(f"() => ({STEP})() > {first}")  # a newer probe arrived and was drawn
    expect(page.locator("#status")).to_have_text("running")

    page.locator("#xray-graph g.xray-node[data-id='conv']").click()
    expect(page.locator("#xray-selected")).to_contain_text("conv at step")
    expect(page.locator("#xray-maps canvas")).to_have_count(4)
    assert page.evaluate("() => [...document.querySelectorAll('#xray-maps canvas')].every(c => c.width === 6)")
    expect(page.locator("#xray-spark polyline")).to_have_count(1)
    page.select_option("#xray-stat", "grad_norm")
    expect(page.locator("#xray-graph g.xray-node[data-id='logits'] title")).to_contain_text(re.compile(r"grad norm \d"))
    expect(page.locator("#xray-table tr")).to_have_count(5)  # a header and the four blocks after the input

    page.fill("#xray-step", "0")
    page.dispatch_event("#xray-step", "input")
    expect(page.locator("#xray-step-label")).to_have_text("step 1 (epoch 1)")  # scrubbed back: no longer live
    page.screenshot(path=str(artifacts / "xray.png"), full_page=True)
    page.click("#stop")
    assert wait_final(live_app, account[2], run_id)["status"] == "cancelled"


def test_it_flags_a_too_large_learning_rate_in_a_sentence_naming_the_block(page, console, live_app, account):
    log_in(page, live_app.url, *account)
    api = live_app.api(account[2])
    response = api.post(f"{live_app.url}/api/runs/", json={"graph": TINY_CNN, "dataset": "digits", "epochs": 20,
                                                           "optimizer": "sgd", "lr": 5.0, "batch_size": 8})
    assert response.status_code == 201, response.text
    run_id = response.json()["id"]
    wait_final(live_app, account[2], run_id)
    page.goto(f"{live_app.url}/runs/{run_id}/")
    expect(page.locator("#xray-step-label")).to_contain_text("live")
    page.fill("#xray-step", "0")
    page.dispatch_event("#xray-step", "input")  # step 1: before the weights blow up to NaN
    expect(page.locator("#xray-step-label")).to_have_text("step 1 (epoch 1)")
    flags = page.locator("#xray-flags li")
    expect(flags.filter(has_text=re.compile(r"Block “logits” \(Linear\): each step changes its weights by [\d.e+-]+ "
                                            r"of their size \(about 1e-3 is healthy\)\. Lower the learning rate\."))
           ).to_have_count(1)
