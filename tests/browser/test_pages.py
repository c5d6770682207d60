"""The pages around the editor: a run page that survives a dropped connection, the home page for a
visitor and for a student with work, the editor on a tablet, and logging in from the keyboard."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.helpers import canvas_point, drag_block, node, open_editor, set_param
from tests.browser.test_runs import MLP, start_run, wait_final

pytestmark = pytest.mark.browser

# The chart is first drawn with the first points (or after a second without any): empty until then.
TRAIN_X = "() => document.querySelector('#chart-loss').data?.[0]?.x ?? []"


def train_points(page) -> int:
    return page.evaluate(f"() => ({TRAIN_X})().length")


def test_it_resumes_the_live_run_after_a_dropped_connection_without_gaps_or_duplicates(page, console, live_app, account):
    token = account[2]
    run_id = start_run(live_app, token, epochs=100, batch_size=16)
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/runs/{run_id}/")
    expect(page.locator("#status")).to_have_text("running", timeout=60_000)
    expect(page.locator("#conn")).to_have_text("● live")
    page.wait_for_function(f"() => ({TRAIN_X})().length > 0", timeout=60_000)

    page.evaluate("""() => {
      window.connSeen = [];
      const conn = document.querySelector('#conn');
      new MutationObserver(() => window.connSeen.push(conn.textContent)).observe(conn, {childList: true, characterData: true, subtree: true});
      window.droppedSocket = document.querySelector('#run').socket;
      window.droppedSocket.close();
    }""")
    # A new socket, open: the old one's "● live" could still be showing before its close lands.
    page.wait_for_function("() => { const s = document.querySelector('#run').socket;"
                           " return s !== window.droppedSocket && s.readyState === 1; }", timeout=30_000)
    expect(page.locator("#conn")).to_have_text("● live", timeout=30_000)
    assert "reconnecting…" in page.evaluate("window.connSeen"), "the page did not notice the drop"
    seen = train_points(page)
    page.wait_for_function(f"() => ({TRAIN_X})().length > {seen}", timeout=60_000)  # live again

    live_app.api(token).post(f"{live_app.url}/api/runs/{run_id}/stop/").raise_for_status()
    expect(page.locator("#status")).to_have_text("cancelled", timeout=60_000)
    wait_final(live_app, token, run_id, timeout=60)
    messages = live_app.api(token).get(f"{live_app.url}/api/runs/{run_id}/metrics/").json()
    stored = [m for m in messages if m["type"] == "metric" and m["split"] == "train"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))

    xs = page.evaluate(TRAIN_X)
    assert len(xs) == len(set(xs)), "the chart has a train point twice"
    assert xs == sorted(xs), "the chart's train points are out of order"
    assert len(xs) == len(stored), f"the chart has {len(xs)} train points, the server stored {len(stored)}"
    val = [m for m in messages if m["type"] == "metric" and m["split"] == "val"]
    assert page.evaluate("() => document.querySelector('#chart-loss').data[1].x.length") == len(val)
    expect(page.locator("#points")).to_have_text(f"{len(stored) + len(val):,}")


def test_it_tells_a_first_time_visitor_what_layerlab_is(page, console, live_app):
    page.goto(f"{live_app.url}/")
    hero = page.locator(".hero")
    expect(hero.locator("h1")).to_have_text("Design a neural network by drawing it.")
    expect(hero).to_contain_text("drag layers onto a canvas")
    expect(hero.get_by_role("link", name="Sign up")).to_have_attribute("href", "/accounts/signup/")
    expect(hero.get_by_role("link", name="Try the editor")).to_have_attribute("href", "/editor/")
    starters = page.locator("#starters li.card")
    expect(starters.first).to_be_visible()
    assert starters.count() >= 2
    expect(page.locator("#runs")).to_have_count(0)
    hero.get_by_role("link", name="Try the editor").click()
    expect(page.locator("#editor[data-ready='1']")).to_be_attached()  # works without an account


def test_it_shows_a_students_design_finished_run_and_the_starters(page, console, live_app):
    username, password, token = live_app.signup()
    api = live_app.api(token)
    saved = api.post(f"{live_app.url}/api/graphs/", json={"name": "home-mlp", "document": MLP})
    assert saved.status_code == 201, saved.text
    run_id = start_run(live_app, token, graph=saved.json()["id"], epochs=1)
    run = wait_final(live_app, token, run_id)
    assert run["status"] == "succeeded", run

    log_in(page, live_app.url, username, password)
    expect(page.locator("h1")).to_have_text(f"Welcome back, {username}")
    design = page.locator("#designs li")
    expect(design).to_have_count(1)
    expect(design.get_by_role("link", name="home-mlp")).to_have_attribute("href", f"/editor/{saved.json()['id']}/")
    row = page.locator(f"#runs tr[data-run='{run_id}']")
    expect(page.locator("#runs tbody tr")).to_have_count(1)
    expect(row.get_by_role("link")).to_have_attribute("href", f"/runs/{run_id}/")
    expect(row.locator("td").nth(2)).to_have_text("succeeded")
    expect(row.locator("td").nth(3)).to_have_text(f"{round(100 * run['result']['test_accuracy'])}%")
    expect(row.locator("td").nth(4)).to_have_text("digits")
    expect(page.locator("#starters li.card").first).to_be_visible()
    starters = api.get(f"{live_app.url}/api/templates/").json()
    expect(page.locator("#starters li.card h3")).to_have_text([s["name"] for s in starters])
    expect(page.locator(".hero")).to_have_count(0)


def test_it_lets_a_tablet_user_drag_a_block_onto_the_canvas(page, console, live_app, artifacts):
    page.set_viewport_size({"width": 768, "height": 1024})
    open_editor(page, live_app.url)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768, "the editor scrolls sideways"
    for part in (".palette", "#canvas", ".side"):
        box = page.locator(part).bounding_box()
        assert box and box["width"] > 100 and box["x"] >= 0 and box["x"] + box["width"] <= 768, (part, box)
    expect(page.locator('.palette-item[data-type="Linear"]')).to_be_visible()

    drag_block(page, "Linear", *canvas_point(page, 0.5, 0.3))
    block = node(page, "fc1")
    expect(block).to_be_visible()
    box = block.bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    assert box["x"] >= canvas["x"] and box["x"] + box["width"] <= min(768, canvas["x"] + canvas["width"]), (box, canvas)
    assert box["y"] >= 0 and box["y"] + box["height"] <= 1024, box
    set_param(page, "out_features", "7")  # the inspector, below the canvas, is usable too
    expect(page.locator("#insp-out_features")).to_be_in_viewport()
    expect(page.locator("#insp-out_features")).to_have_value("7")
    page.screenshot(path=str(artifacts / "editor-tablet.png"), full_page=True)


def test_it_logs_in_from_the_keyboard_alone(page, console, live_app):
    username, password, _ = live_app.signup()
    page.goto(f"{live_app.url}/accounts/login/")
    for _ in range(20):  # Tab from the top of the page through the header to the form
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "id_username":
            break
    else:
        pytest.fail("Tab never reaches the username field")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_app.url}/")
    expect(page.locator("h1")).to_have_text(f"Welcome back, {username}")
    expect(page.locator(".topbar .who")).to_have_text(username)
