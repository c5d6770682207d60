"""What X-ray costs: training throughput with the X-ray observer against without it.

Both sides train the same compiled starter design from the same initial weights, with the same seed,
data, batch size and device, through `trainer.engine.train`; the only difference is `observer=Xray()`
(its defaults: at most 200 probes a run, every 20 steps at least, 0.25 s apart at least, 16 probe samples). They run
alternately, several times; samples/s over training steps (the probes included) are compared as the
median of paired ratios and the ratio of the best runs (goal: X-ray on / off >= 0.95).

Run: .venv/bin/python bench/bench_xray.py [--repeats 5] [--epochs 2] [--device auto] [--threads 1] [--no-write]
"""
import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.bench_engine import append_section, machine  # noqa: E402
from trainer.datasets import Arrays  # noqa: E402
from trainer.engine import TrainConfig, train  # noqa: E402
from trainer.engine.job import build_job  # noqa: E402
from trainer.engine.xray import Xray  # noqa: E402

HEADING = "## X-ray cost (observer on vs off)"
STARTERS = ROOT / "builder" / "starters"


def random_images(n: int, shape: tuple, seed: int = 0) -> Arrays:
    rng = np.random.default_rng(seed)
    return Arrays(x_train=rng.integers(0, 256, (n, *shape), dtype=np.uint8), y_train=rng.integers(0, 10, n),
                  x_test=rng.integers(0, 256, (256, *shape), dtype=np.uint8), y_test=rng.integers(0, 10, 256),
                  classes=[str(i) for i in range(10)], meta={"kind": "image"})


def design(name: str) -> dict:
    doc = json.loads((STARTERS / f"{name}.json").read_text())
    return doc.get("document", doc)


CASES = [("CIFAR CNN starter, random 3x32x32", "cifar10-cnn", (3, 32, 32), 4096)]


class TimedXray(Xray):
    """Xray that also adds up the seconds it spends: its own share of training time, free of the noise
    that paired runs on a shared machine suffer."""

    seconds = 0.0

    def after_backward(self, step: int) -> None:
        start = time.perf_counter()
        super().after_backward(step)
        self.seconds += time.perf_counter() - start

    def after_step(self, step: int, epoch: int) -> None:
        start, probed = time.perf_counter(), self.due
        super().after_step(step, epoch)
        if probed and torch.cuda.is_available():
            torch.cuda.synchronize()  # its kernels counted here, not in the next step
        self.seconds += time.perf_counter() - start


def measure(label: str, starter: str, shape: tuple, n: int, args) -> dict:
    arrays = random_images(n, shape)
    options = {"epochs": args.epochs, "batch_size": args.batch_size, "device": args.device, "seed": 0}
    job = build_job(design(starter), arrays, options)
    initial, config = job.model, job.config
    runs = {"on": [], "off": [], "probes": [], "share": []}
    train(copy.deepcopy(initial), arrays, TrainConfig(epochs=1, batch_size=args.batch_size, device=args.device))
    for r in range(args.repeats):
        for side in (("on", "off") if r % 2 == 0 else ("off", "on")):
            events = []
            observer = TimedXray() if side == "on" else None
            result = train(copy.deepcopy(initial), arrays, config, on_event=events.append, observer=observer)
            runs[side].append(result.samples_per_s)
            if side == "on":
                runs["probes"].append(sum(e["type"] == "layers" for e in events))
                runs["share"].append(observer.seconds / (result.steps * args.batch_size / result.samples_per_s))
    ratios = sorted(a / b for a, b in zip(runs["on"], runs["off"]))
    return {"case": label, "device": job.device, "steps": -(-int(n * 0.9) // args.batch_size) * args.epochs,
            "probes": statistics.median(runs["probes"]), "on": statistics.median(runs["on"]),
            "off": statistics.median(runs["off"]), "ratio": statistics.median(ratios), "low": ratios[0],
            "high": ratios[-1], "best_ratio": max(runs["on"]) / max(runs["off"]),
            "share": statistics.median(runs["share"])}


def table(rows: list[dict], args) -> str:
    import datetime

    threads = f", {torch.get_num_threads()} CPU thread(s)" if rows[0]["device"] == "cpu" else ""
    lines = [f"{datetime.date.today().isoformat()}, {machine()}; batch {args.batch_size}, {args.epochs} epochs, "
             f"Adam{threads}, {args.repeats} alternating runs each, samples/s over training steps.", "",
             "| case | device | steps | probes | X-ray on (samples/s) | X-ray off (samples/s) | on/off (median of pairs) "
             "| pair range | ratio of bests | X-ray's own share of training time |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['device']} | {r['steps']} | {r['probes']:.0f} | {r['on']:,.0f} | {r['off']:,.0f} "
                     f"| {r['ratio']:.3f} | {r['low']:.2f}-{r['high']:.2f} | {r['best_ratio']:.3f} | {100 * r['share']:.1f}% |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0 keeps torch's default)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = [measure(*case, args) for case in CASES]
    text = table(rows, args)
    print(text)
    if not args.no_write:
        append_section(text, heading=HEADING, rerun="bench/bench_xray.py")


if __name__ == "__main__":
    main()
