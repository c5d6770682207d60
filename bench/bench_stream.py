"""Live-stream latency against a real Redis, Celery worker and Daphne (tests/live.py starts them).

1. point latency: a metric's `time` (set in the worker when the point is made) to its arrival at
   a websocket client, p50/p95 over every point of a run;
2. Train pressed (POST /api/runs/ sent) to the first point on the websocket, warm worker;
3. one run watched by 100 websocket clients: every message at every client, latency p95;
baseline, side by side: a bare Redis PUBLISH -> SUBSCRIBE round trip on the same server.

Run: .venv/bin/python bench/bench_stream.py [--clients 100] [--runs 5]
"""
import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
__import__("django").setup()  # tests.api.conftest imports DRF models

import redis  # noqa: E402
import websockets  # noqa: E402

from tests.api.conftest import DIGITS_MLP  # noqa: E402
from bench.stats import percentile_ms  # noqa: E402
from tests.live import LiveApp  # noqa: E402


async def watch(url: str, arrivals: list, ready: asyncio.Event | None = None):
    async with websockets.connect(url, max_queue=None) as ws:
        if ready:
            ready.set()
        async for raw in ws:
            arrivals.append((time.time(), json.loads(raw)))


async def one_run(app: LiveApp, api, token: str, clients: int, epochs: int, queue_behind: int = 0):
    """Start a run and watch it with `clients` websockets. With queue_behind, a first run of that
    many epochs keeps the worker busy so every client is connected before the watched run starts,
    as a class would be when the teacher presses Train."""
    body = {"graph": DIGITS_MLP, "dataset": "digits", "epochs": epochs, "batch_size": 16}
    if queue_behind:
        api.post(f"{app.url}/api/runs/", json=dict(body, epochs=queue_behind))
    sent = time.time()
    run = api.post(f"{app.url}/api/runs/", json=body).json()
    url = f"{app.ws_url}/ws/runs/{run['id']}/?token={token}"
    streams = [[] for _ in range(clients)]
    ready = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.ensure_future(watch(url, s, r)) for s, r in zip(streams, ready)]
    await asyncio.gather(*(r.wait() for r in ready))
    connected = time.time()
    await asyncio.gather(*tasks)
    return sent, streams, connected


def redis_baseline(url: str, n: int = 500) -> list[float]:
    r = redis.Redis.from_url(url)
    sub = r.pubsub()
    sub.subscribe("bench")
    sub.get_message(timeout=1)
    lat = []
    for _ in range(n):
        t = time.time()
        r.publish("bench", str(t))
        msg = sub.get_message(timeout=1)
        while msg is None or msg["type"] != "message":
            msg = sub.get_message(timeout=1)
        lat.append(time.time() - float(msg["data"]))
    return lat


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # The default heartbeat timeout (60 s): each watcher checks for a lost worker every 10 s.
    app = LiveApp(Path(tempfile.mkdtemp(prefix="bench-stream-")), heartbeat_timeout=60).start()
    try:
        _, _, token = app.signup()
        api = app.api(token)
        asyncio.run(one_run(app, api, token, 1, 1))  # warm the worker and the dataset cache
        point_lat, first_point = [], []
        for _ in range(args.runs):
            sent, (stream,), _ = asyncio.run(one_run(app, api, token, 1, 3))
            metrics = [(t, m) for t, m in stream if m["type"] == "metric"]
            point_lat += [t - m["time"] for t, m in metrics]
            first_point.append(metrics[0][0] - sent)
        sent, streams, connected = asyncio.run(one_run(app, api, token, args.clients, 3, queue_behind=20))
        first_metric = min(m["time"] for _, m in streams[0] if m["type"] == "metric")
        expected = [m["seq"] for _, m in streams[0]]
        complete = all([m["seq"] for _, m in s] == expected for s in streams)
        fan_lat = [t - m["time"] for s in streams for t, m in s if m["type"] == "metric"]
        base = redis_baseline(app.env["REDIS_URL"])
    finally:
        app.stop()
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"point latency (1 client, {len(point_lat)} points): p50 {percentile_ms(point_lat, 50):.1f} ms, p95 {percentile_ms(point_lat, 95):.1f} ms")
    print(f"Train pressed -> first point ({len(first_point)} runs, warm worker): p50 {percentile_ms(first_point, 50):.0f} ms, max {max(first_point) * 1000:.0f} ms")
    print(f"all {args.clients} clients connected {first_metric - connected:.1f} s before the first point")
    print(f"{args.clients} clients: every message at every client: {complete} ({len(expected)} messages each); "
          f"latency p50 {percentile_ms(fan_lat, 50):.1f} ms, p95 {percentile_ms(fan_lat, 95):.1f} ms")
    print(f"baseline redis publish->subscribe: p50 {percentile_ms(base, 50):.2f} ms, p95 {percentile_ms(base, 95):.2f} ms")
    print(f"ratio point p95 / redis p95: {percentile_ms(point_lat, 95) / max(percentile_ms(base, 95), 1e-3):.0f}x")


if __name__ == "__main__":
    main()
