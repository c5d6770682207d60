"""Continue training from a finished run's page: a child run starts from its last checkpoint and its
curve carries on from the parent's steps."""
import re

import pytest
from playwright.sync_api import expect

from tests.api.conftest import DIGITS_MLP
from tests.browser.conftest import log_in
from tests.browser.test_runs import wait_final

pytestmark = pytest.mark.browser


def test_it_continues_a_finished_run_for_more_epochs(page, console, live_app, account):
    log_in(page, live_app.url, *account)
    api = live_app.api(account[2])
    parent = api.post(f"{live_app.url}/api/runs/", json={"graph": DIGITS_MLP, "dataset": "digits", "epochs": 2})
    assert parent.status_code == 201, parent.text
    parent_id = parent.json()["id"]
    wait_final(live_app, account[2], parent_id)
    page.goto(f"{live_app.url}/runs/{parent_id}/")
    expect(page.locator("#continue")).to_be_visible(timeout=30_000)
    page.fill("#continue-epochs", "2")
    page.click("#continue button[type=submit]")
    page.wait_for_url(re.compile(rf".*/runs/(?!{parent_id}/)\d+/$"))
    child_id = int(page.url.rstrip("/").split("/")[-1])
    child = wait_final(live_app, account[2], child_id)
    assert child["status"] == "succeeded" and child["parent"] == parent_id and child["config"]["epochs"] == 2
    steps = {run_id: [m["step"] for m in api.get(f"{live_app.url}/api/runs/{run_id}/metrics/").json()
                      if m.get("split") == "train"] for run_id in (parent_id, child_id)}
    assert min(steps[child_id]) > max(steps[parent_id])
    expect(page.locator("#status")).to_have_text("succeeded")
