"""Soak: many users, many runs, random stops and killed training processes, on a real stack
(Redis, Celery worker, Daphne from tests/live.py). Every run must end in a final state with a
gapless stream; prints the figures for docs/benchmarks.md.

Run: .venv/bin/python bench/bench_soak.py [--users 10] [--runs 200] [--runs-per-worker 2]
         [--kills 5] [--stop-fraction 0.1]
"""
import argparse
import os
import platform
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.live import LiveApp, wait_for  # noqa: E402

TINY = {"format": "layerlab.graph/1", "name": "soak", "nodes": [
    {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
    {"id": "flat", "type": "Flatten", "inputs": ["image"]},
    {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}}]}
FINAL = {"succeeded", "failed", "cancelled", "timed_out"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=10)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--runs-per-worker", type=int, default=2)
    ap.add_argument("--kills", type=int, default=5, help="training processes killed with SIGKILL during the soak")
    ap.add_argument("--stop-fraction", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    slots = str(args.runs_per_worker)
    app = LiveApp(Path(tempfile.mkdtemp(prefix="soak-")), LAYERLAB_MAX_WAITING_PER_USER=str(args.runs),
                  LAYERLAB_RUNS_PER_WORKER=slots, LAYERLAB_TRAINING_SLOTS=slots,
                  LAYERLAB_MAX_RUNNING_PER_USER=slots)
    app.start_worker = _worker_with(app, slots)
    app.start()
    try:
        users = [app.api(app.signup()[2]) for _ in range(args.users)]
        started = time.monotonic()
        runs = []  # (session, run id)
        for i in range(args.runs):
            api = users[i % args.users]
            r = api.post(f"{app.url}/api/runs/", json={"graph": TINY, "dataset": "digits", "epochs": rng.choice([1, 2]),
                                                       "batch_size": 64, "seed": i})
            assert r.status_code == 201, r.text
            runs.append((api, r.json()["id"]))
        queued_s = time.monotonic() - started
        stops = rng.sample(runs, int(args.runs * args.stop_fraction))
        kills = 0
        pending = set(pk for _, pk in runs)
        by_id = dict((pk, api) for api, pk in runs)
        next_kill = time.monotonic() + 5
        while pending:
            if stops and rng.random() < 0.3:
                api, pk = stops.pop()
                api.post(f"{app.url}/api/runs/{pk}/stop/")
            if kills < args.kills and time.monotonic() > next_kill:
                children = app.pool_children()
                if children:
                    os.kill(rng.choice(children), signal.SIGKILL)
                    kills += 1
                next_kill = time.monotonic() + 10
            for pk in list(pending)[:20]:
                if by_id[pk].get(f"{app.url}/api/runs/{pk}/").json()["status"] in FINAL:
                    pending.discard(pk)
            if time.monotonic() - started > 3600:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - started
        statuses, gaps = Counter(), 0
        for api, pk in runs:
            statuses[api.get(f"{app.url}/api/runs/{pk}/").json()["status"]] += 1
            seqs = [m["seq"] for m in api.get(f"{app.url}/api/runs/{pk}/metrics/").json()]
            if seqs != list(range(1, len(seqs) + 1)) or not seqs:
                gaps += 1
    finally:
        app.stop()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.platform()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{args.users} users, {args.runs} runs queued in {queued_s:.1f} s, runs per worker {slots}, "
          f"{kills} training processes killed, {args.stop_fraction:.0%} of runs stopped at random")
    print(f"all ended in {elapsed:.0f} s ({args.runs / elapsed:.2f} runs/s); still not final: {len(pending)}")
    print(f"final statuses: {dict(statuses)}; runs with a seq gap or no messages: {gaps}")


def _worker_with(app: LiveApp, concurrency: str):
    from tests.live import BIN

    def start_worker() -> None:
        app.spawn("worker", [str(BIN / "celery"), "-A", "webapp", "worker", "-Q", "training", "--concurrency",
                             concurrency, "--prefetch-multiplier", "1", "--loglevel", "INFO", "--without-gossip",
                             "--without-mingle", "--hostname", f"soak-{time.time_ns()}@%h"])
        wait_for(lambda: "ready." in app.log("worker")[-3000:], "the celery worker", timeout=90)
    return start_worker


if __name__ == "__main__":
    main()
