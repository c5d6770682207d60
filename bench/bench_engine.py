"""Training throughput: `trainer.engine.train` against a minimal hand-written PyTorch loop.

Both train the same model from the same initial weights on the same tensors (already on the
device), with the same batch size, optimizer and device (bf16 autocast on CUDA for both), over the
same number of samples per epoch. They run alternately, several times; their samples/s over
training steps are compared as the median of paired ratios and as the ratio of the best runs
(goal: engine / hand-written >= 0.95). The engine also counts accuracy and sends a point every
step of a short run; the hand-written loop does neither.

Run: .venv/bin/python bench/bench_engine.py [--repeats 7] [--epochs 10] [--device auto] [--threads 1] [--no-write]
"""
import argparse
import contextlib
import copy
import datetime
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from trainer.datasets import load_builtin  # noqa: E402
from trainer.engine import TrainConfig, train  # noqa: E402

HEADING = "## Training throughput (engine vs hand-written loop)"


def digits_mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def mnist1d_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv1d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
                         nn.Conv1d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
                         nn.Flatten(), nn.Linear(64 * 10, 10))


CASES = [("digits MLP", "digits", digits_mlp), ("mnist1d CNN", "mnist1d", mnist1d_cnn)]


def hand_loop(model, x, y, epochs: int, batch_size: int, device: torch.device) -> float:
    """The loop a person writes by hand; samples/s over its training steps."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cuda = device.type == "cuda"
    seconds, samples = 0.0, 0
    for _ in range(epochs):
        perm = torch.randperm(len(x), device=device)
        start = time.perf_counter()
        for i in range(0, len(x), batch_size):
            idx = perm[i:i + batch_size]
            with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext():
                loss = F.cross_entropy(model(x[idx]).float(), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            samples += len(idx)
        if cuda:
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
    return samples / seconds


def engine_run(model, arrays, config: TrainConfig) -> float:
    events = []
    return train(model, arrays, config, on_event=events.append).samples_per_s


def measure(name: str, dataset: str, make, args, cache: str) -> dict:
    arrays = load_builtin(dataset, cache)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, device=args.device)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if args.device == "auto" else args.device))
    n_train = arrays.train_size - int(arrays.train_size * config.val_fraction)  # what the engine trains on
    x = torch.as_tensor(arrays.x_train[:n_train]).to(device)
    y = torch.as_tensor(arrays.y_train[:n_train]).to(device)
    torch.manual_seed(0)
    initial = make()
    runs = {"engine": [], "hand": []}
    engine_run(copy.deepcopy(initial), arrays, TrainConfig(epochs=1, device=args.device))  # warm-up
    hand_loop(copy.deepcopy(initial).to(device), x, y, 1, args.batch_size, device)
    for r in range(args.repeats):
        order = ("engine", "hand") if r % 2 == 0 else ("hand", "engine")
        for who in order:
            model = copy.deepcopy(initial)
            if who == "engine":
                runs[who].append(engine_run(model, arrays, config))
            else:
                runs[who].append(hand_loop(model.to(device), x, y, args.epochs, args.batch_size, device))
    # Paired ratios: each engine run against the hand-written run next to it, so a slow spell of a
    # shared machine hits both sides of a pair.
    ratios = sorted(e / h for e, h in zip(runs["engine"], runs["hand"]))
    return {"case": name, "device": str(device), "engine": statistics.median(runs["engine"]),
            "hand": statistics.median(runs["hand"]), "ratio": statistics.median(ratios),
            "low": ratios[0], "high": ratios[-1],
            # Best of n, as timeit reports: interference only ever slows a run down.
            "best_ratio": max(runs["engine"]) / max(runs["hand"])}


def machine() -> str:
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip() or platform.platform()
    gpu = f", GPU: {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return f"`{uname}`, nproc {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()}, " \
           f"torch {torch.__version__}{gpu}"


def table(rows: list[dict], args) -> str:
    threads = f", {torch.get_num_threads()} CPU thread(s)" if rows[0]["device"] == "cpu" else ""
    lines = [f"{datetime.date.today().isoformat()}, {machine()}; batch {args.batch_size}, {args.epochs} epochs, "
             f"Adam{threads}, {args.repeats} alternating runs each, samples/s over training steps.", "",
             "| case | device | engine (samples/s) | hand-written (samples/s) | ratio (median of pairs) | pair range | ratio of bests |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['device']} | {r['engine']:,.0f} | {r['hand']:,.0f} | {r['ratio']:.3f} "
                     f"| {r['low']:.2f}-{r['high']:.2f} | {r['best_ratio']:.3f} |")
    return "\n".join(lines) + "\n"


def append_section(text: str, path: Path = ROOT / "docs" / "benchmarks.md", heading: str = HEADING,
                   rerun: str = "bench/bench_engine.py") -> None:
    """Add a dated table under `heading`; other sections of the file stay as they are."""
    doc = path.read_text() if path.exists() else "# Benchmarks\n"
    if heading not in doc:
        doc = doc.rstrip("\n") + f"\n\n{heading}\n\nRe-run: `.venv/bin/python {rerun}`.\n"
    start = doc.index(heading)
    nxt = doc.find("\n## ", start + len(heading))
    end = len(doc) if nxt < 0 else nxt
    section = doc[start:end].rstrip("\n") + "\n\n" + text
    path.write_text(doc[:start] + section + ("\n" + doc[end:].lstrip("\n") if nxt >= 0 else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: steadier on a shared machine; 0 keeps torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as cache:
        rows = [measure(name, dataset, make, args, cache) for name, dataset, make in CASES]
    text = table(rows, args)
    print(text)
    if not args.no_write:
        append_section(text)


if __name__ == "__main__":
    main()
