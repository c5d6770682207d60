"""POST /api/graphs/summary/ for a 50-node design through a real Daphne (HTTP keep-alive), beside
the same summary computed in-process: the ratio is what HTTP, Django and DRF add.

Run: .venv/bin/python bench/bench_api_summary.py [--repeat 300] [--nodes 50]
"""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.bench_summary import residual_tower  # noqa: E402
from builder.summary import summarize  # noqa: E402
from bench.stats import percentile_ms  # noqa: E402
from tests.live import LiveApp  # noqa: E402


def timed(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--nodes", type=int, default=50)
    args = parser.parse_args()
    doc = residual_tower(args.nodes)
    app = LiveApp(Path(tempfile.mkdtemp(prefix="bench-api-"))).start()
    try:
        session = requests.Session()
        url = f"{app.url}/api/graphs/summary/"
        first = session.post(url, json=doc).json()
        assert first["valid"], first["errors"]
        http, local = [], []
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            http += timed(lambda: session.post(url, json=doc).raise_for_status(), 1)
            local += timed(lambda: summarize(doc), 1)
    finally:
        app.stop()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.platform()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{len(doc['nodes'])}-node design ({first['params']:,} params), {args.repeat} requests, warm cache:")
    print(f"| POST /api/graphs/summary/ via Daphne | {statistics.median(http) * 1000:.1f} | {percentile_ms(http, 95):.1f} |")
    print(f"| summarize() in-process (baseline)     | {statistics.median(local) * 1000:.1f} | {percentile_ms(local, 95):.1f} |")
    print(f"ratio of p95s: {percentile_ms(http, 95) / percentile_ms(local, 95):.1f}x")


if __name__ == "__main__":
    main()
