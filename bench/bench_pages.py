"""Page weight and a class opening a live run, in real Chromium against a real LayerLab (tests/live.py).

1. each page, cold (a new browser context: empty cache) and warm (the same page again in that
   context): bytes transferred (Chrome's encodedDataLength: compressed bodies plus headers;
   websocket frames not included) and the load event's time;
2. `--students` browser contexts (default 60) opening the run page of a running run at once: time
   from navigation start to the first drawn point (run.js's `layerlab:first-point` User Timing
   mark), p50/p95/max. The browsers run on the same machine as the servers;
3. the same class without browsers, to separate the server's share from the renderers' CPU: the
   same number of protocol clients, each making exactly the requests a cold run page makes
   (recorded from Chromium: the HTML, every static file, the API calls) and opening the run's
   websocket with the page's cookies, timed from the first request to the first metric message;
4. `--sweep 1,10,30`: browser contexts at those counts too, showing how the first point scales
   with the number of renderers sharing the machine's CPUs.
Baseline beside it: the full plotly.js bundle the pages loaded before, uncompressed, as served then.

The servers are `make run`'s own (scripts/run.py: embedded Redis, Celery workers at their
lower CPU priority, `--web-processes` Daphne processes on one port), after `make run`'s set-up;
`--stack live` uses the test suite's stack (tests/live.py) instead.

Run: .venv/bin/python bench/bench_pages.py [--students 60] [--sweep 1,10,30] [--web-processes N] [--page-cost 7]
     .venv/bin/python bench/bench_pages.py --floor   (browsers alone, no LayerLab)
"""
import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stats import percentile_ms  # noqa: E402
from tests.browser.test_runs import MLP  # noqa: E402
from tests.live import PASSWORD, ROOT, LiveApp, read_until, start_supervisor, wait_for  # noqa: E402

CHROMIUM = dict(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                           "--disable-component-update", "--disable-sync"])
FIRST_POINT = "() => performance.getEntriesByName('layerlab:first-point').length > 0"


class MakeRunApp(LiveApp):
    """`make run` (scripts/run.py) on a fresh data directory, with LiveApp's sign-up and API helpers."""

    def __init__(self, workdir: Path, **env: str):
        super().__init__(workdir)
        self.extra = env

    def start(self) -> "MakeRunApp":
        self.proc, self.port = start_supervisor(self.dir, os.environ["PATH"], **self.extra)
        read_until(self.proc, rf"http://127\.0\.0\.1:{self.port}/")
        self.url, self.ws_url = f"http://127.0.0.1:{self.port}", f"ws://127.0.0.1:{self.port}"
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain its output
        return self

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(90)


def log_in(app: LiveApp) -> tuple[str, list[dict]]:
    username, _, token = app.signup()
    session = requests.Session()
    session.get(f"{app.url}/accounts/login/")
    session.post(f"{app.url}/accounts/login/", headers={"Referer": app.url},
                 data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    cookies = [{"name": c.name, "value": c.value, "domain": "127.0.0.1", "path": "/"} for c in session.cookies]
    return token, cookies


def start_run(app: LiveApp, token: str, **options) -> int:
    r = app.api(token).post(f"{app.url}/api/runs/", json={"graph": MLP, "dataset": "digits", **options})
    r.raise_for_status()
    return r.json()["id"]


def final(app: LiveApp, token: str, run_id: int) -> bool:
    return app.api(token).get(f"{app.url}/api/runs/{run_id}/").json()["status"] in ("succeeded", "failed", "cancelled")


async def visit(page, cdp, url: str) -> tuple[int, float, set]:
    sizes, encodings = {}, set()
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.on("Network.responseReceived", lambda e: encodings.add(
        {k.lower(): v for k, v in e["response"]["headers"].items()}.get("content-encoding", "none")))
    await page.goto(url, wait_until="networkidle")
    load = await page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
    return sum(sizes.values()), load, encodings


async def page_weights(browser, app: LiveApp, cookies: list[dict], pages: dict[str, str]) -> list[tuple]:
    rows = []
    for name, path in pages.items():
        context = await browser.new_context(storage_state={"cookies": cookies if "login" not in path else []})
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cold, load, encodings = await visit(page, cdp, app.url + path)
        warm, warm_load, _ = await visit(page, cdp, app.url + path)
        rows.append((name, cold, warm, load, warm_load, encodings))
        await context.close()
    return rows


async def student(browser, cookies: list[dict], url: str, timeout_s: float) -> float | None:
    """Seconds from navigation start to the first drawn point; None if not drawn within timeout_s."""
    context = await browser.new_context(storage_state={"cookies": cookies})
    page = await context.new_page()
    try:
        await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        await page.wait_for_function(FIRST_POINT, polling=250, timeout=timeout_s * 1000)
        return await page.evaluate("() => performance.getEntriesByName('layerlab:first-point')[0].startTime") / 1000
    except PlaywrightTimeout:
        return None
    finally:
        await context.close()


FLOOR_PAGES = {
    # Nothing but a mark once the first frame is drawn: what a browser context costs on its own.
    "blank.html": "<!doctype html><title>floor</title><p>one point</p><script>requestAnimationFrame(() =>"
                  " performance.mark('layerlab:first-point'))</script>",
    # The same partial plotly.js the run page loads, drawing one point: the chart library's share.
    "plotly.html": "<!doctype html><title>floor</title><div id=c style='height:300px'></div>"
                   "<script src='plotly-layerlab.min.js'></script><script>Plotly.newPlot('c', [{x: [1], y: [1]}])"
                   ".then(() => performance.mark('layerlab:first-point'))</script>",
}


@contextlib.contextmanager
def floor_site():
    """FLOOR_PAGES and the partial plotly bundle from a static file server in this process: pages with
    no LayerLab behind them. Yields the server's URL."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    with tempfile.TemporaryDirectory() as tmp:
        for name, html in FLOOR_PAGES.items():
            Path(tmp, name).write_text(html)
        bundle = ROOT / "build" / "plotly" / "plotly-layerlab.min.js"
        Path(tmp, bundle.name).write_bytes(bundle.read_bytes())
        quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=tmp))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


async def floor(browser, students: int) -> dict[str, list[float | None]]:
    """`students` contexts at once opening each floor page: the time the browsers alone take to draw,
    for a blank page and for plotly."""
    with floor_site() as url:
        return {name: await asyncio.gather(*(student(browser, [], f"{url}/{name}", 180) for _ in range(students)))
                for name in FLOOR_PAGES}


async def page_cost(browser, cookies: list[dict], url: str, times: int) -> dict[str, float]:
    """One context at a time, `times` cold loads of `url` up to its first drawn point: the median of
    the renderer's main-thread seconds (Chrome's Performance.getMetrics) and of the time to the point."""
    import statistics

    got = []
    for _ in range(times):
        context = await browser.new_context(storage_state={"cookies": cookies})
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        await page.goto(url, wait_until="commit")
        await page.wait_for_function(FIRST_POINT, polling=100, timeout=60_000)
        metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
        first = await page.evaluate("() => performance.getEntriesByName('layerlab:first-point')[0].startTime")
        got.append({"first point s": first / 1000, "main thread s": metrics["TaskDuration"],
                    "script s": metrics["ScriptDuration"], "layout + style s": metrics["LayoutDuration"] + metrics["RecalcStyleDuration"]})
        await context.close()
    return {k: statistics.median(g[k] for g in got) for k in got[0]}


async def requests_of(browser, cookies: list[dict], url: str) -> list[str]:
    """The URLs a cold run page fetches over HTTP (the page's own document first), as Chromium made them."""
    context = await browser.new_context(storage_state={"cookies": cookies})
    page = await context.new_page()
    urls = []
    page.on("request", lambda r: urls.append(r.url) if r.url.startswith("http") else None)
    await page.goto(url, wait_until="commit")
    await page.wait_for_function(FIRST_POINT, polling=250, timeout=120_000)
    await context.close()
    return list(dict.fromkeys(urls))


def run_socket(app: LiveApp, run_id: int) -> str:
    return f"{app.ws_url}/ws/runs/{run_id}/?after=0&replay=batch"  # as run.js connects


def has_metric(frame: dict) -> bool:
    """A socket frame (one message, or a replay of many) that carries a metric: the page can draw."""
    return any(m.get("type") == "metric" for m in frame.get("messages", [frame]))


def protocol_class(app: LiveApp, cookies: list[dict], urls: list[str], run_id: int, students: int) -> list[float | None]:
    """`students` clients at once, each: every request of a cold run page, then the run's websocket
    until its first metric message. Seconds from the client's first request; None if none came in 180 s."""
    jar = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    go = threading.Barrier(students)

    def one(_: int) -> float | None:
        session = requests.Session()
        session.headers.update({"Cookie": jar, "Accept-Encoding": "gzip, deflate, br"})
        go.wait()
        began = time.monotonic()
        for url in urls:
            session.get(url, timeout=180).raise_for_status()
        with connect(run_socket(app, run_id), open_timeout=180,
                     additional_headers={"Cookie": jar, "Origin": app.url}) as ws:
            deadline = began + 180
            while time.monotonic() < deadline:
                if has_metric(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))):
                    return time.monotonic() - began
        return None

    with ThreadPoolExecutor(students) as pool:
        return list(pool.map(one, range(students)))


def profile_web(app: LiveApp, py_spy: str, out: Path):
    """py-spy sampling the (first) web process while the protocol clients run: collapsed stacks
    (one line per stack, its sample count last; flamegraph.pl's input) written to `out`."""
    import subprocess

    import psutil

    root = psutil.Process(app.proc.pid if hasattr(app, "proc") else app.procs["daphne"].pid)
    web = next(p for p in [root, *root.children(recursive=True)] if "daphne" in " ".join(p.cmdline()))
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen([py_spy, "record", "-p", str(web.pid), "-r", "250", "--format", "raw", "--nonblocking",
                            "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # py-spy attaches
    return spy


async def protocol_class_async(app: LiveApp, cookies: list[dict], urls: list[str], run_id: int,
                               students: int) -> list[float | None]:
    """The same clients as protocol_class, as coroutines on one event loop (aiohttp, websockets' asyncio
    client, bodies left compressed): the measuring side costs the shared CPUs far less than 60 threads."""
    import aiohttp
    from websockets.asyncio.client import connect as connect_async

    jar = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    go = asyncio.Event()

    async def one() -> float | None:
        headers = {"Cookie": jar, "Accept-Encoding": "gzip, deflate, br"}
        async with aiohttp.ClientSession(headers=headers, auto_decompress=False,
                                         timeout=aiohttp.ClientTimeout(total=180)) as session:
            await go.wait()
            began = time.monotonic()
            for url in urls:
                async with session.get(url) as response:
                    response.raise_for_status()
                    await response.read()
            async with connect_async(run_socket(app, run_id), open_timeout=180,
                                     additional_headers={"Cookie": jar, "Origin": app.url}) as ws:
                deadline = began + 180
                while time.monotonic() < deadline:
                    if has_metric(json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))):
                        return time.monotonic() - began
        return None

    clients = [asyncio.create_task(one()) for _ in range(students)]
    await asyncio.sleep(0.5)  # every client has its session and waits
    go.set()
    return await asyncio.gather(*clients)


async def main(students: int, sweep: list[int], protocol_only: bool, stack: str, web_processes: int,
               py_spy: str = "", cost_runs: int = 0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = (LiveApp(Path(tmp)) if stack == "live" else
               MakeRunApp(Path(tmp), **({"LAYERLAB_WEB_PROCESSES": str(web_processes)} if web_processes else {}))).start()
        try:
            token, cookies = log_in(app)
            done = [start_run(app, token, epochs=2, lr=lr) for lr in (0.001, 0.01)]
            wait_for(lambda: all(final(app, token, r) for r in done), "two finished runs", timeout=300, interval=0.5)
            pages = {"home": "/", "editor": "/editor/", "datasets": "/datasets/", "login": "/accounts/login/",
                     "run (finished)": f"/runs/{done[0]}/", "compare (2 runs)": f"/runs/compare/?ids={done[0]},{done[1]}"}
            async with async_playwright() as p:
                browser = await p.chromium.launch(**CHROMIUM)
                rows = [] if protocol_only else await page_weights(browser, app, cookies, pages)
                live = start_run(app, token, epochs=300, batch_size=8)
                wait_for(lambda: any(m["type"] == "metric" for m in app.api(token).get(
                    f"{app.url}/api/runs/{live}/metrics/").json()), "the live run's first point", timeout=120, interval=0.5)
                run_url = f"{app.url}/runs/{live}/"
                urls = await requests_of(browser, cookies, run_url)
                profile = ROOT / "var" / "web-profile.txt"  # var/ is ignored by git
                spy = profile_web(app, py_spy, profile) if py_spy else None
                protocol = await protocol_class_async(app, cookies, urls, live, students)
                if spy:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(30)
                    print(f"The web process's profile during the burst: {profile}")
                await asyncio.sleep(5)
                threaded = await asyncio.to_thread(protocol_class, app, cookies, urls, live, students)
                costs = {}
                if cost_runs:
                    costs["run page (live run)"] = await page_cost(browser, cookies, run_url, cost_runs)
                    with floor_site() as site:
                        for name in FLOOR_PAGES:
                            costs[f"floor: {name}"] = await page_cost(browser, [], f"{site}/{name}", cost_runs)
                scaling, firsts, wall = {}, [], 0.0
                for n in [] if protocol_only else sweep:
                    scaling[n] = await asyncio.gather(*(student(browser, cookies, run_url, 180) for _ in range(n)))
                if not protocol_only:
                    began = time.monotonic()
                    firsts = await asyncio.gather(*(student(browser, cookies, run_url, 180) for _ in range(students)))
                    wall = time.monotonic() - began
                app.api(token).post(f"{app.url}/api/runs/{live}/stop/")
                await browser.close()
        finally:
            app.stop()
    if not protocol_only:
        report(rows, firsts, wall, students)
    count = (web_processes or f"make run's default for {os.cpu_count()} cores") if stack == "make-run" else 1
    print(f"\nServers: {stack} ({count} web process(es)).")
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}. Without browsers: {students} protocol clients, each making the {len(urls)} requests of a cold run page "
          f"then opening its websocket: {summary(protocol, students)} (asyncio clients); "
          f"{summary(threaded, students)} (a thread per client, requests)")
    for name, cost in costs.items():
        print(f"One context at a time, median of {cost_runs} cold loads, {name}: "
              + ", ".join(f"{k} {v:.3f}" for k, v in cost.items()))
    for n, got in scaling.items():
        print(f"Browser contexts at once: {n}: {summary(got, n)}")


async def floor_main(students: int) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(**CHROMIUM)
        await floor(browser, 1)  # warm the browser's own process start out of the figures
        for n in sorted({1, students}):
            got = await floor(browser, n)
            for name, firsts in got.items():
                print(f"Floor, {name}, {n} context(s) at once: {summary(firsts, n)}")
        await browser.close()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def summary(firsts: list[float | None], n: int) -> str:
    drawn = [f for f in firsts if f is not None]
    ranked = drawn + [float("inf")] * (n - len(drawn))
    return (f"{len(drawn)} of {n} got a point within 180 s; first point p50 {percentile_ms(ranked, 50):.0f} ms, "
            f"p95 {percentile_ms(ranked, 95):.0f} ms, max {max(ranked) * 1000:.0f} ms")


def report(rows, firsts, wall, students) -> None:
    import plotly

    full = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}, Chromium at /usr/bin/chromium\n")
    print("| page | cold KB | warm KB | cold load ms | warm load ms | content encodings |\n| --- | ---: | ---: | ---: | ---: | --- |")
    for name, cold, warm, load, warm_load, encodings in rows:
        print(f"| {name} | {cold / 1024:.0f} | {warm / 1024:.1f} | {load:.0f} | {warm_load:.0f} | {', '.join(sorted(encodings))} |")
    if full.exists():
        print(f"| baseline: the full plotly.min.js alone, as served before (uncompressed) | {full.stat().st_size / 1024:.0f} | "
              f"{full.stat().st_size / 1024:.0f} | | | none |")
    drawn = [f for f in firsts if f is not None]
    # A page that drew nothing within the timeout counts as slower than every page that did.
    ranked = drawn + [float("inf")] * (students - len(drawn))
    print(f"\n{students} contexts opening a live run's page at once: {len(drawn)} drew a point within 180 s; "
          f"first drawn point p50 {percentile_ms(ranked, 50):.0f} ms, p95 {percentile_ms(ranked, 95):.0f} ms, "
          f"max {max(ranked) * 1000:.0f} ms; {wall:.1f} s until every page had drawn or given up")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--protocol-only", action="store_true", help="only the class without browsers")
    parser.add_argument("--sweep", default="", help="browser-context counts to measure before the full class, e.g. 1,10,30")
    parser.add_argument("--stack", choices=["make-run", "live"], default="make-run",
                        help="make run's supervisor (default) or the test suite's LiveApp")
    parser.add_argument("--web-processes", type=int, default=0,
                        help="LAYERLAB_WEB_PROCESSES for make run (default: make run's own, a process per core up to 4)")
    parser.add_argument("--floor", action="store_true",
                        help="only the browsers' floor: contexts opening a blank page and a one-point plotly page")
    parser.add_argument("--page-cost", type=int, default=0,
                        help="also: this many cold loads, one context at a time, of the live run page and the floor pages, "
                             "with the renderer's main-thread seconds")
    parser.add_argument("--py-spy", default="", help="path of py-spy: profile a web process during the protocol burst")
    args = parser.parse_args()
    if args.floor:
        asyncio.run(floor_main(args.students))
    else:
        asyncio.run(main(args.students, [int(n) for n in args.sweep.split(",") if n], args.protocol_only, args.stack,
                         args.web_processes, args.py_spy, args.page_cost))
