"""The Train dialog builds its settings from GET /api/training-settings/: what the server takes, nothing else."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.helpers import open_editor

pytestmark = pytest.mark.browser


def options(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} option", "els => els.map(e => e.value)")


def test_it_offers_only_the_servers_settings(page, console, live_app, account):
    log_in(page, live_app.url, *account)
    open_editor(page, live_app.url, "?starter=digits-mlp")
    page.click("#train")
    expect(page.locator("#t-problems")).to_contain_text("fits this dataset", timeout=60_000)
    assert options(page, "#t-optimizer") == ["sgd", "adam", "adamw"]  # no rmsprop, which the server refuses
    expect(page.locator("#t-optimizer")).to_have_value("adam")
    assert options(page, "#t-lr_schedule") == ["constant", "step", "cosine", "onecycle"]
    expect(page.locator("#t-epochs")).to_have_attribute("max", "500")
    expect(page.locator("#t-lr")).to_have_value("0.001")

    # Digits are images: augmentation shows, with flip off (a mirrored digit is another digit).
    page.locator("#t-data summary").click()
    expect(page.locator("#t-augment_crop")).to_be_visible()
    expect(page.locator("#t-augment_flip")).not_to_be_checked()
    # mnist1d is a signal: no image augmentation, and none is sent.
    page.select_option("#t-dataset", "mnist1d")
    expect(page.locator("#t-augment_crop")).to_be_hidden()
    expect(page.locator("#t-normalize")).to_be_visible()

    # What the form sends is what the run's config snapshot holds.
    page.select_option("#t-dataset", "digits")
    expect(page.locator("#t-problems")).to_contain_text("fits this dataset", timeout=60_000)
    page.locator("#t-schedule summary").click()
    page.select_option("#t-lr_schedule", "cosine")
    page.fill("#t-epochs", "1")
    page.check("#t-augment_flip")
    page.click("#t-start")
    page.wait_for_url(re.compile(r"/runs/\d+/$"), timeout=60_000)
    run_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    config = live_app.api(account[2]).get(f"{live_app.url}/api/runs/{run_id}/").json()["config"]
    assert config["lr_schedule"] == "cosine" and config["epochs"] == 1 and config["augment_flip"] is True
    assert config["optimizer"] == "adam" and config["augment_crop"] == 0
