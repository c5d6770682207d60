"""File ▸ Import in the editor: a Keras model's JSON and an ONNX file become designs on the canvas."""
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.helpers import node, open_editor
from tests.builder.keras_json import keras3, tutorial_cnn

pytestmark = pytest.mark.browser


def choose_file(page, name: str, data: bytes) -> None:
    page.click("details.menu summary")
    with page.expect_file_chooser() as chooser:
        page.click("#import-model")
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])


def test_it_imports_the_tutorials_keras_cnn_through_the_file_menu(page, console, live_app):
    open_editor(page, live_app.url)
    choose_file(page, "cifar_cnn.json", json.dumps(keras3(tutorial_cnn())).encode())
    # The server's first import loads the importers: allow it the page's own timeout, not expect's 5 s.
    expect(page.locator("#total-params")).to_have_text("122,570", timeout=20_000)
    expect(node(page, "conv2d")).to_be_visible()
    expect(node(page, "dense_1")).to_be_visible()
    expect(page.locator("#valid-badge")).to_contain_text("valid")
    expect(page.locator("#flash")).to_contain_text("Imported from Keras 3 Sequential: 122,570 parameters")
    expect(page.locator("#flash")).to_contain_text("flattens channels-first")


def test_it_imports_onnx_and_saves_its_weights_with_the_design(page, console, live_app, account):
    from builder.compile import compile_graph
    from builder.export import export_onnx
    from builder.templates import starter_designs

    doc = next(s["document"] for s in starter_designs() if s["slug"] == "digits-mlp")
    log_in(page, live_app.url, *account)
    open_editor(page, live_app.url)
    choose_file(page, "digits.onnx", export_onnx(compile_graph(doc), doc))
    expect(node(page, "hidden")).to_be_visible(timeout=20_000)
    expect(page.locator("#flash")).to_contain_text("starting weights")
    page.click("#save")
    page.wait_for_url(f"{live_app.url}/editor/*/")
    graph_id = page.url.rstrip("/").split("/")[-1]
    saved = live_app.api(account[2]).get(f"{live_app.url}/api/graphs/{graph_id}/").json()
    assert saved["has_initial_weights"] and saved["document"]["nodes"][0]["id"] == "image"
