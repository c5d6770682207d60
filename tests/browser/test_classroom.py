"""A lesson in the browser: the teacher makes a course and a lab with locked blocks, two students
join by code in their own browsers, a locked block will not be deleted, both train, the teacher's
wall shows both live, then the leaderboard and the grades CSV."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

def make_course_and_lab(page, url: str) -> tuple[str, str]:
    page.goto(f"{url}/courses/")
    page.fill("#course-name", "Deep Learning 101")
    page.click("#create-course button[type=submit]")
    page.wait_for_url(re.compile(r".*/courses/\d+/$"))  # the course page, not the join form's #join-code input
    course_url = page.url
    expect(page.locator("p#join-code")).to_be_visible()
    code = page.locator("p#join-code").inner_text().strip()
    page.click("#new-lab")
    expect(page.locator("#lab-edit[data-ready='1']")).to_be_attached(timeout=60_000)  # a loaded machine is slow, not wrong
    page.fill("#l-title", "Beat the digits MLP")
    page.fill("#l-instructions", "Keep the **input** and the **output**; change the middle.\n\n<script>alert(1)</script>")
    page.select_option("#l-starter", "t:digits-mlp")
    lock_blocks(page)
    for block in ("Flatten", "Linear", "Dropout", "ReLU"):
        page.check(f'[data-block="{block}"]')
    page.select_option("#l-dataset", "digits")
    page.fill('[data-setting="epochs"]', "3")
    page.fill('[data-setting="batch_size"]', "32")
    page.check("#l-published")
    page.click("#l-save")
    page.wait_for_url("**/labs/*/")
    expect(page.locator(".instructions strong").first).to_have_text("input")
    lab_id = page.url.rstrip("/").split("/")[-1]
    assert sorted(page.request.get(f"{url}/api/labs/{lab_id}/").json()["locked"]) == ["image", "logits"]
    page.goto(f"{course_url}labs/{lab_id}/edit/")  # editing the lab draws its locks again
    expect(page.locator("#lab-edit[data-ready='1'] #l-canvas .drawflow-node.locked")).to_have_count(2)
    return code, lab_id


def lock_blocks(page) -> None:
    """Lock the output by clicking it on the starter's canvas, the input with its button in the
    list; a block clicked twice is unlocked again. The canvas and the list agree throughout."""
    canvas = page.locator("#l-canvas")

    def block(node_id: str):
        return canvas.locator(f'.drawflow-node[data-node-id="{node_id}"]')

    expect(block("hidden").locator(".blk-shape")).to_have_text("[64]")  # drawn as the editor draws it
    block("logits").click()
    expect(block("logits")).to_have_class(re.compile(r"\blocked\b"))
    expect(page.locator('.lock-node[data-node="logits"]')).to_have_attribute("aria-pressed", "true")
    page.click('.lock-node[data-node="image"]')
    expect(block("image")).to_have_class(re.compile(r"\blocked\b"))
    block("hidden").click()
    block("hidden").click()
    expect(block("hidden")).not_to_have_class(re.compile(r"\blocked\b"))
    expect(canvas.locator(".drawflow-node.locked")).to_have_count(2)
    expect(page.locator(".lock-node.locked")).to_have_count(2)


def student_trains(browser, live_app, code: str, lab_id: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_app.url, *live_app.signup())
    page.goto(f"{live_app.url}/join/{code}/")
    page.click(f'li[data-lab="{lab_id}"] a')
    page.click("#open-design")
    expect(page.locator("#editor[data-ready='1']")).to_be_attached(timeout=60_000)  # a loaded machine is slow, not wrong
    locked = page.locator('.drawflow-node[data-node-id="logits"]')
    expect(locked).to_have_class(__import__("re").compile("locked"))
    locked.locator(".blk-head").click()
    page.keyboard.press("Delete")
    expect(page.locator("#flash")).to_contain_text("locked")
    expect(locked).to_have_count(1)
    expect(page.locator('.palette-item[data-type="Conv2d"]')).to_have_count(0)
    expect(page.locator('.palette-item[data-type="Linear"]')).to_have_count(1)
    page.click("#train")
    expect(page.locator("#t-epochs")).to_be_disabled()
    expect(page.locator("#t-problems")).to_contain_text("fits")
    page.click("#t-start")
    page.wait_for_url("**/runs/*/")
    return context, page, errors


def test_a_lesson_from_course_to_grades(page, console, live_app, browser, artifacts):
    log_in(page, live_app.url, *live_app.signup("teacher-t"))
    code, lab_id = make_course_and_lab(page, live_app.url)
    page.screenshot(path=str(artifacts / "lab-edit.png"), full_page=True)
    wall = page.context.new_page()
    wall.goto(f"{live_app.url}/labs/{lab_id}/wall/")
    expect(wall.locator("#wall[data-ready='1']")).to_be_attached(timeout=60_000)  # a loaded machine is slow, not wrong
    students = [student_trains(browser, live_app, code, lab_id) for _ in range(2)]
    tiles = wall.locator(".tile")
    expect(tiles).to_have_count(2)
    for i in range(2):  # both students' curves arrive on the one socket
        wall.wait_for_function(f"() => document.querySelectorAll('.tile-chart')[{i}].data[0].x.length > 0",
                               timeout=120_000)
    wall.screenshot(path=str(artifacts / "wall.png"), full_page=True)
    for context, student_page, errors in students:
        expect(student_page.locator("#lab-score")).to_contain_text("%", timeout=180_000)
        assert not errors, errors
    _, first, _ = students[0]
    first.click("#lab-result a")
    expect(first.locator("#leaderboard tbody tr")).to_have_count(2, timeout=30_000)
    expect(first.locator("#my-runs .score")).to_contain_text("%")
    first.screenshot(path=str(artifacts / "lab.png"), full_page=True)
    expect(wall.locator(".tile .status-succeeded")).to_have_count(2, timeout=60_000)
    page.goto(f"{live_app.url}/labs/{lab_id}/")
    expect(page.locator("#leaderboard tbody tr")).to_have_count(2)
    with page.expect_download() as download:
        page.click("#grades")
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == "username,run,score_public,score_private,params,epochs,runs_used,submitted,late"
    assert len(lines) == 3 and all(",4810,3,1,no,no" in line for line in lines[1:])
    for context, _, _ in students:
        context.close()
