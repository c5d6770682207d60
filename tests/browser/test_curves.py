"""The curve controls on the run and compare pages, read back from the Plotly graphs a person sees:
smoothing, log y, the x axis, the envelope of a long run, the learning rate, CSV and PNG downloads,
settings kept per browser, and the compare page's sortable table and parallel coordinates."""
import calendar
import csv
import io
import json
import sqlite3
from datetime import datetime
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, log_in
from tests.browser.test_runs import start_run, wait_final

pytestmark = pytest.mark.browser


def ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's debiased exponential moving average, written out independently of curves.js."""
    out, last = [], 0.0
    for n, v in enumerate(values, start=1):
        last = last * weight + (1 - weight) * v
        out.append(last / (1 - weight**n))
    return out


def trace(page, chart: str, meta: str) -> dict:
    return page.evaluate(f"() => document.querySelector('#{chart}').data.find((t) => t.meta === '{meta}') || null")


def train_messages(live_app, token: str, run_id: int) -> list[dict]:
    messages = live_app.api(token).get(f"{live_app.url}/api/runs/{run_id}/metrics/").json()
    return [m for m in messages if m["type"] == "metric" and m["split"] == "train"]


def open_run(page, live_app, run_id: int, points: int) -> None:
    page.goto(f"{live_app.url}/runs/{run_id}/")
    page.wait_for_function(f"() => document.querySelector('#chart-loss').data?.[0]?.x.length === {points}")


@pytest.fixture(scope="module")
def finished(live_app, account):
    run_id = start_run(live_app, account[2], epochs=2, batch_size=32)
    run = wait_final(live_app, account[2], run_id)
    assert run["status"] == "succeeded", run
    return run


def test_it_smooths_with_the_debiased_average_and_keeps_the_choice(page, console, live_app, account, finished):
    train = train_messages(live_app, account[2], finished["id"])
    log_in(page, live_app.url, *account)
    page.evaluate("() => localStorage.clear()")
    open_run(page, live_app, finished["id"], len(train))
    assert trace(page, "chart-loss", "smoothed") is None  # raw unless asked
    page.locator("#smoothing").fill("0.8")
    expect(page.locator("#smoothing-value")).to_have_text("0.80")
    smoothed = trace(page, "chart-loss", "smoothed")
    assert smoothed["y"] == pytest.approx(ema([m["loss"] for m in train], 0.8), rel=1e-12)
    raw = trace(page, "chart-loss", "raw")
    assert raw["y"] == [m["loss"] for m in train] and raw["opacity"] < 1  # the raw points, faint, behind
    assert page.evaluate("() => document.querySelector('#chart-loss').data[0].meta") == "raw"

    page.reload()  # kept in this browser
    page.wait_for_function("() => document.querySelector('#chart-loss').data?.some((t) => t.meta === 'smoothed')")
    expect(page.locator("#smoothing")).to_have_value("0.8")
    page.locator("#smoothing").fill("0")
    page.wait_for_function("() => !document.querySelector('#chart-loss').data.some((t) => t.meta === 'smoothed')")


def test_it_switches_to_a_log_y_axis_and_each_x_axis(page, console, live_app, account, finished):
    train = train_messages(live_app, account[2], finished["id"])
    log_in(page, live_app.url, *account)
    page.evaluate("() => localStorage.clear()")
    open_run(page, live_app, finished["id"], len(train))
    page.select_option("#yscale", "log")
    for chart in ("chart-loss", "chart-acc"):
        assert page.evaluate(f"() => document.querySelector('#{chart}')._fullLayout.yaxis.type") == "log"

    # The page reads the start as Date.parse does: whole milliseconds.
    start = datetime.fromisoformat(finished["started"].replace("Z", "+00:00"))
    started = (calendar.timegm(start.utctimetuple()) * 1000 + start.microsecond // 1000) / 1000
    batch = finished["config"]["batch_size"]
    expected = {"step": [m["step"] for m in train], "samples": [m["step"] * batch for m in train],
                "time": [m["time"] - started for m in train]}
    for axis, xs in expected.items():
        page.select_option("#xaxis", axis)
        assert trace(page, "chart-loss", "raw")["x"] == xs, axis
    title = page.evaluate("() => document.querySelector('#chart-loss').layout.xaxis.title.text")
    assert title == "wall time (s since start)"
    assert all(x >= 0 for x in expected["time"])
    page.select_option("#xaxis", "epoch")
    epochs = finished["config"]["epochs"]
    assert trace(page, "chart-loss", "raw")["x"] == pytest.approx([m["step"] * epochs / m["total_steps"] for m in train])


def test_it_downloads_the_curves_as_csv_and_the_charts_as_png(page, console, live_app, account, finished, artifacts):
    messages = live_app.api(account[2]).get(f"{live_app.url}/api/runs/{finished['id']}/metrics/").json()
    metrics = [m for m in messages if m["type"] == "metric"]
    log_in(page, live_app.url, *account)
    open_run(page, live_app, finished["id"], sum(m["split"] == "train" for m in metrics))
    with page.expect_download() as info:
        page.click("#download-csv")
    assert info.value.suggested_filename == f"run-{finished['id']}-curves.csv"
    rows = list(csv.DictReader(io.StringIO(open(info.value.path(), encoding="utf-8").read())))
    assert len(rows) == len(metrics)
    for row, m in zip(rows, metrics):
        assert (row["run"], row["split"], int(row["step"])) == (str(finished["id"]), m["split"], m["step"])
        assert float(row["loss"]) == m["loss"] and float(row["time"]) == m["time"]
        assert row["accuracy"] == "" if m["accuracy"] is None else float(row["accuracy"]) == m["accuracy"]

    with page.expect_download() as info:
        page.click("#download-png")
    png = open(info.value.path(), "rb").read()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (900, 1350)  # loss, accuracy and the learning rate (runs record it), stacked
    open(artifacts / "run-curves.png", "wb").write(png)


def rewrite_messages(live_app, run_id: int, change) -> list[dict]:
    """Replace a finished run's stored stream with change(messages), renumbered: stands in for what
    a longer run, or an engine with learning-rate schedules, would have recorded."""
    with sqlite3.connect(urlparse(live_app.env["DATABASE_URL"]).path) as db:
        stored = [json.loads(p) for (p,) in db.execute(
            "SELECT payload FROM trainer_runmessage WHERE run_id = ? ORDER BY seq", (run_id,))]
        messages = [{**m, "seq": seq} for seq, m in enumerate(change(stored), start=1)]
        db.execute("DELETE FROM trainer_runmessage WHERE run_id = ?", (run_id,))
        db.executemany("INSERT INTO trainer_runmessage (run_id, seq, payload) VALUES (?, ?, ?)",
                       [(run_id, m["seq"], json.dumps(m)) for m in messages])
    return messages


def test_it_keeps_every_buckets_min_and_max_for_a_long_run(page, console, live_app, account):
    run_id = start_run(live_app, account[2], epochs=1)
    assert wait_final(live_app, account[2], run_id)["status"] == "succeeded"
    n = 5000

    def long_run(stored):
        t0 = stored[0]["time"]
        train = [{"type": "metric", "split": "train", "epoch": 1, "step": i + 1, "total_steps": n, "time": t0 + i / 100,
                  "loss": 9.5 if i == 3777 else 2 / (1 + i / 500) + (i % 7) / 100, "accuracy": 0.5, "samples_per_s": 1000.0}
                 for i in range(n)]
        return train + [m for m in stored if m["type"] != "metric" or m["split"] == "val"]

    losses = [m["loss"] for m in rewrite_messages(live_app, run_id, long_run) if m.get("split") == "train"]
    log_in(page, live_app.url, *account)
    page.evaluate("() => localStorage.clear()")
    page.goto(f"{live_app.url}/runs/{run_id}/")
    page.wait_for_function("() => document.querySelector('#chart-loss').data?.some((t) => t.meta === 'envelope-min')")
    page.wait_for_function("() => document.querySelector('#points').textContent.startsWith('5,')")
    raw = trace(page, "chart-loss", "raw")
    assert 700 <= len(raw["x"]) <= 800
    assert max(raw["y"]) == 9.5 and raw["x"][raw["y"].index(9.5)] == 3778 / n  # the spike, at its epoch
    assert min(raw["y"]) == min(losses)
    hi, lo = trace(page, "chart-loss", "envelope-max"), trace(page, "chart-loss", "envelope-min")
    assert max(hi["y"]) == 9.5 and min(lo["y"]) == min(losses) and lo["fill"] == "tonexty"
    assert all(a >= b for a, b in zip(hi["y"], lo["y"]))


def test_it_draws_the_learning_rate_when_the_run_records_one(page, console, live_app, account, finished):
    lrs = []

    def with_decay(stored):
        for m in stored:
            if m["type"] == "metric" and m["split"] == "train":
                m["lr"] = 0.01 * 0.5 ** len(lrs)
                lrs.append(m["lr"])
        return stored

    rewrite_messages(live_app, finished["id"], with_decay)
    log_in(page, live_app.url, *account)
    page.evaluate("() => localStorage.clear()")
    open_run(page, live_app, finished["id"], len(lrs))
    expect(page.locator("#chart-lr")).to_be_visible()
    assert trace(page, "chart-lr", "raw")["y"] == lrs


def test_it_sorts_the_compare_table_and_draws_settings_against_accuracy(page, console, live_app, account, artifacts):
    token = account[2]
    ids = [start_run(live_app, token, epochs=1, lr=lr) for lr in (0.05, 0.001, 0.01)]
    runs = [wait_final(live_app, token, i) for i in ids]
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/runs/compare/?ids={','.join(map(str, ids))}")
    table = page.locator("#cmp-runs")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("thead th")).to_have_text(
        ["Run", "Best validation accuracy", "Test accuracy", "Parameters", "Time", "lr"])

    def order() -> list[int]:
        return [int(r) for r in table.locator("tbody tr").evaluate_all("rows => rows.map((r) => r.dataset.run)")]

    by_test = sorted(runs, key=lambda r: r["result"]["test_accuracy"], reverse=True)
    table.get_by_role("button", name="Test accuracy").click()
    expect(table.locator("th[data-key=test]")).to_have_attribute("aria-sort", "descending")
    assert order() == [r["id"] for r in by_test]
    table.get_by_role("button", name="Test accuracy").click()
    expect(table.locator("th[data-key=test]")).to_have_attribute("aria-sort", "ascending")
    assert order() == [r["id"] for r in reversed(by_test)]
    table.get_by_role("button", name="lr").click()
    assert order() == [ids[0], ids[2], ids[1]]  # 0.05, 0.01, 0.001

    figure = page.evaluate("() => { const d = document.querySelector('#cmp-parallel'); return { n: d.data.length,"
                           " ticks: d.layout.xaxis.ticktext, y: d.data.map((t) => t.y) }; }")
    assert figure["n"] == 3 and figure["ticks"] == ["lr", "parameters", "best val. accuracy", "test accuracy"]
    assert [y[0] for y in figure["y"]] == [1, 0, pytest.approx((0.01 - 0.001) / (0.05 - 0.001))]
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)


def test_it_has_no_serious_accessibility_issue_on_the_run_and_compare_pages(page, console, live_app, account, finished):
    """axe-core (npm) on both pages after their charts, controls and tables are drawn."""
    axe = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
    other = start_run(live_app, account[2], epochs=1)
    wait_final(live_app, account[2], other)
    log_in(page, live_app.url, *account)
    for path, ready in ((f"/runs/{finished['id']}/", "#confusion .main-svg"),
                        (f"/runs/compare/?ids={finished['id']},{other}", "#cmp-parallel .main-svg")):
        page.goto(live_app.url + path)
        expect(page.locator(ready).first).to_be_attached()
        page.add_script_tag(content=axe)
        violations = page.evaluate("async () => (await axe.run()).violations"
                                   ".map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)")
        assert violations == [], f"{path}: {violations}"
