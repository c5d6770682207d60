"""The editor, as a student uses it: drag, wire, read shapes and parameters, fix errors, save."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.helpers import canvas_point, drag_block, node, open_editor, select_node, set_param, wire

pytestmark = pytest.mark.browser
HAS_ERROR = re.compile(r"\bhas-error\b")

# The CIFAR-10 CNN of the TensorFlow tutorial, as (id, type, params), placed on a 3×3 grid.
CIFAR = [
    ("input1", "Input", {"shape": "3, 32, 32"}),
    ("conv1", "Conv2d", {"out_channels": "32", "kernel_size": "3", "activation": "relu"}),
    ("pool1", "MaxPool2d", {"kernel_size": "2"}),
    ("conv2", "Conv2d", {"out_channels": "64", "kernel_size": "3", "activation": "relu"}),
    ("pool2", "MaxPool2d", {"kernel_size": "2"}),
    ("conv3", "Conv2d", {"out_channels": "64", "kernel_size": "3", "activation": "relu"}),
    ("flat1", "Flatten", {}),
    ("fc1", "Linear", {"out_features": "64", "activation": "relu"}),
    ("fc2", "Linear", {"out_features": "10"}),
]


def test_it_builds_the_cifar_cnn_by_dragging_and_wiring(page, console, live_app, artifacts):
    open_editor(page, live_app.url)
    expect(page.locator(".drawflow-node")).to_have_count(0)
    for i, (node_id, block_type, params) in enumerate(CIFAR):
        drag_block(page, block_type, *canvas_point(page, 0.15 + 0.33 * (i % 3), 0.12 + 0.3 * (i // 3)))
        expect(node(page, node_id)).to_be_visible()
        for name, value in params.items():
            set_param(page, name, value)
    for (source, *_), (target, *_) in zip(CIFAR, CIFAR[1:]):
        wire(page, source, target)
    expect(page.locator("#total-params")).to_have_text("122,570")
    expect(node(page, "conv1").locator(".blk-shape")).to_have_text("[32, 30, 30]")
    expect(node(page, "fc2").locator(".blk-shape")).to_have_text("[10]")
    expect(page.locator("#valid-badge")).to_contain_text("valid")
    expect(page.locator(".drawflow-node.has-error")).to_have_count(0)
    page.click("#tidy")
    page.screenshot(path=str(artifacts / "editor.png"))


def test_it_shows_a_shape_error_on_the_block_and_clears_it(page, console, live_app):
    open_editor(page, live_app.url)
    drag_block(page, "Input", *canvas_point(page, 0.2, 0.3))
    set_param(page, "shape", "1, 8, 8")
    drag_block(page, "Conv2d", *canvas_point(page, 0.6, 0.3))
    set_param(page, "out_channels", "4")
    set_param(page, "kernel_size", "10")
    wire(page, "input1", "conv1")
    conv = node(page, "conv1")
    expect(conv).to_have_class(HAS_ERROR)
    expect(conv.locator(".blk-error")).to_contain_text("kernel is larger than its 8×8 input")
    expect(conv.locator(".blk-error")).to_contain_text("⚠")
    expect(node(page, "input1")).not_to_have_class(HAS_ERROR)
    expect(page.locator("#problems .error")).to_have_count(1)
    expect(page.locator("#problems .error")).to_contain_text("conv1 (kernel_size)")
    page.locator("#problems .error button", has_text="conv1").click()  # selects the block named
    expect(page.locator("#insp-kernel_size")).to_have_attribute("aria-invalid", "true")
    set_param(page, "kernel_size", "3")
    expect(conv.locator(".blk-error")).to_have_count(0)
    expect(conv).not_to_have_class(HAS_ERROR)
    expect(conv.locator(".blk-shape")).to_have_text("[4, 6, 6]")
    expect(page.locator("#problems .error")).to_have_count(0)


def test_it_saves_and_reloads_the_design_unchanged(page, console, live_app, account):
    log_in(page, live_app.url, *account)
    open_editor(page, live_app.url)
    page.fill("#design-name", "saved-mlp")
    drag_block(page, "Input", *canvas_point(page, 0.15, 0.2))
    set_param(page, "shape", "1, 8, 8")
    drag_block(page, "Flatten", *canvas_point(page, 0.5, 0.2))
    drag_block(page, "Linear", *canvas_point(page, 0.8, 0.2))
    set_param(page, "out_features", "10")
    set_param(page, "activation", "relu")
    wire(page, "input1", "flat1")
    wire(page, "flat1", "fc1")
    select_node(page, "fc1")
    page.fill("#insp-id", "logits")
    page.press("#insp-id", "Tab")
    expect(page.locator("#total-params")).to_have_text("650")
    before = design_state(page)
    page.click("#save")
    page.wait_for_url(f"{live_app.url}/editor/*/")
    expect(page.locator("#save")).to_have_text("Save")
    page.reload()
    expect(page.locator("#editor[data-ready='1']")).to_be_attached()
    expect(page.locator("#total-params")).to_have_text("650")
    assert page.input_value("#design-name") == "saved-mlp"
    assert design_state(page) == before


def design_state(page) -> list:
    """What the canvas shows: each block's id, type, position and shape, and the wires by id."""
    return page.evaluate("""() => {
        const nodes = [...document.querySelectorAll('.drawflow-node')];
        const idOf = (df) => document.getElementById(df).dataset.nodeId;
        const blocks = nodes.map(n => [n.dataset.nodeId, n.querySelector('.blk-type').textContent,
            n.style.left, n.style.top, n.querySelector('.blk-shape').textContent].join(' '));
        const wires = [...document.querySelectorAll('.connection')].map(c => {
            const cls = [...c.classList];
            const out = cls.find(k => k.startsWith('node_out_')).slice(9);
            const inn = cls.find(k => k.startsWith('node_in_')).slice(8);
            return idOf(out) + ' -> ' + idOf(inn);
        });
        return [blocks.sort(), wires.sort()];
    }""")
