"""CIFAR-10 with the seed's CNN starter (issue 8): the engine against a hand-written PyTorch loop,
and a worker's peak memory with the images stored as uint8 (as the dataset store keeps them) or float32.

Engine: the "CIFAR-10 CNN" starter (TensorFlow's CNN tutorial, 122,570 parameters) through the path
a run takes: the data from the dataset store (`trainer.dataset_store.builtin`), `build_job` with the
seed's settings (Adam, lr 0.001, batch 64, per-channel normalization, X-ray on, 10% held out), then
`job.train` with the X-ray observer; points go to a list instead of the database. Hand-written: the
same network written as a plain nn.Module, started from the same weights, trained with Adam on the
same training indices scaled by /255 once (as torchvision's ToTensor does), in random batches
gathered by index (no DataLoader: the fastest loop a practitioner writes). The engine also runs with
X-ray off, to tell its cost from the loop's. They take turns; samples/s over training steps are
compared as the median of paired ratios (goal: engine / hand-written >= 0.95). On a busy machine
those swing; the CPU time of one training step (best of interleaved blocks) is the steadier figure.

Data: the real CIFAR-10 when the dataset cache holds it or LAYERLAB_DATASET_MIRROR can serve it (what
a server with internet gets); otherwise a synthetic set of CIFAR-10's size (50,000 / 10,000) in the
original binary format, fetched through the store from a temporary mirror. Its images are noise over
one fixed pattern per class: its accuracy says nothing about the tutorial's ~70% on real photos.
`--train N` trains the comparison on the first N training images (the whole test set is kept);
memory is measured on the whole set, each storage in a fresh process (peak RSS: VmHWM).

Run: .venv/bin/python bench/bench_cifar.py [--epochs 10] [--train N] [--repeats 3] [--device auto|cpu|cuda]
         [--threads 1] [--no-memory] [--no-write]
"""
import argparse
import contextlib
import datetime
import hashlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

import django  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from bench.bench_engine import append_section, hand_loop, machine  # noqa: E402
from builder.document import Limits  # noqa: E402
from builder.templates import starter_designs  # noqa: E402
from trainer import dataset_store  # noqa: E402
from trainer.datasets import Arrays, is_present  # noqa: E402
from trainer.engine.job import build_job  # noqa: E402
from trainer.engine.loop import Loop, split_train_val  # noqa: E402

HEADING = "## CIFAR-10: the seed's CNN (issue 8)"
DESIGN = next(s["document"] for s in starter_designs() if s["slug"] == "cifar10-cnn")


class TutorialCNN(nn.Module):
    """TensorFlow's CNN tutorial written by hand: 3 convolutions, 2 poolings, 64 hidden, 10 out."""

    def __init__(self):
        super().__init__()
        self.conv1, self.conv2, self.conv3 = nn.Conv2d(3, 32, 3), nn.Conv2d(32, 64, 3), nn.Conv2d(64, 64, 3)
        self.fc1, self.fc2 = nn.Linear(64 * 4 * 4, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


# --- data ------------------------------------------------------------------------------------

def synthetic_archive(n_train: int = 50_000, n_test: int = 10_000, seed: int = 0) -> bytes:
    """cifar-10-binary.tar.gz as published (5 train batches, 1 test batch of <label><3072 pixels>
    records), holding 70% noise + 30% one fixed pattern per class."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, 256, (10, 3, 32, 32)).astype(np.uint16)
    sizes = [n_train // 5 + (i < n_train % 5) for i in range(5)] + [n_test]
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for name, n in zip(names, sizes):
            labels = rng.integers(0, 10, n).astype(np.uint8)
            images = (rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint16) * 7 + patterns[labels] * 3) // 10
            records = np.concatenate([labels[:, None], images.astype(np.uint8).reshape(n, -1)], axis=1)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = records.nbytes
            tar.addfile(info, io.BytesIO(records.tobytes()))
    return buf.getvalue()


def use_synthetic(where: Path) -> None:
    """Point the store at a temporary mirror holding the synthetic archive and an empty cache."""
    data = synthetic_archive()
    (where / "mirror" / "cifar10").mkdir(parents=True)
    (where / "mirror" / "cifar10" / "cifar-10-binary.tar.gz").write_bytes(data)
    settings.LAYERLAB_DATASET_MIRROR = str(where / "mirror")
    settings.LAYERLAB_DATASET_INTERNET = False
    settings.LAYERLAB_DATASET_CHECKSUMS = {"cifar10/cifar-10-binary.tar.gz": hashlib.md5(data).hexdigest()}
    settings.LAYERLAB_DATASET_CACHE = where / "cache"


def load_cifar(tmp: Path) -> tuple[Arrays, bool]:
    """(CIFAR-10 through the dataset store, whether it is the real one)."""
    real = is_present("cifar10", settings.LAYERLAB_DATASET_CACHE) or bool(settings.LAYERLAB_DATASET_MIRROR)
    if not real:
        use_synthetic(tmp)
    arrays, _ = dataset_store.builtin("cifar10", on_progress=lambda f: None)
    return arrays, real


def first_n(arrays: Arrays, n: int | None) -> Arrays:
    if not n:
        return arrays
    return Arrays(arrays.x_train[:n], arrays.y_train[:n], arrays.x_test, arrays.y_test, arrays.classes, arrays.meta)


# --- the two loops -----------------------------------------------------------------------------

NORMALIZED = "hand-written, normalized (transforms.Normalize with the training split's statistics)"


def engine_run(arrays: Arrays, options: dict) -> tuple[float, float]:
    """(samples/s, test accuracy) of a run as the worker trains it, minus the database."""
    job = build_job(DESIGN, arrays, options, Limits())
    result = job.train(on_event=[].append, observer=job.xray())
    return result["samples_per_s"], result["test_accuracy"]


def hand_run(initial: dict, x, y, x_test, y_test, epochs: int, device: torch.device) -> tuple[float, float]:
    """bench_engine's hand-written loop on the tutorial's network, then its test accuracy."""
    torch.manual_seed(0)  # the same batch order every time
    model = TutorialCNN().to(device)
    model.load_state_dict(initial)
    speed = hand_loop(model, x, y, epochs, 64, device)
    model.eval()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()
    with torch.no_grad(), autocast:
        hits = sum((model(x_test[i:i + 1024]).argmax(-1) == y_test[i:i + 1024]).sum().item()
                   for i in range(0, len(x_test), 1024))
    return speed, hits / len(x_test)


def step_costs(job, initial: dict, x, xn, y, device: torch.device, blocks: int = 15, steps: int = 10) -> dict:
    """ms per training step, the best of `blocks` interleaved blocks: the engine's step (gather the uint8
    batch, scale and normalize it, forward, loss, backward, Adam, count hits) against the hand-written
    one. CPU time on the CPU, so a busy machine's waits are left out; wall time with a sync on CUDA."""
    loop = Loop(job.model, job.arrays, job.config, None, None)
    loop.start()
    model = TutorialCNN().to(device)
    model.load_state_dict(initial)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cuda = device.type == "cuda"
    clock = time.perf_counter if cuda else time.process_time

    def engine_step() -> None:
        idx = loop.train_idx[torch.randint(len(loop.train_idx), (64,), device=device)]
        loop.train_step(loop.inputs.batch(loop.x, idx), loop.y[idx])

    def hand_step(inputs) -> None:
        idx = torch.randint(len(inputs), (64,), device=device)
        with torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext():
            loss = F.cross_entropy(model(inputs[idx]).float(), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    best = {"engine": float("inf"), "hand": float("inf"), "hand_normalized": float("inf")}
    for _ in range(blocks):
        for name, step in (("engine", engine_step), ("hand", lambda: hand_step(x)),
                           ("hand_normalized", lambda: hand_step(xn))):
            start = clock()
            for _ in range(steps):
                step()
            if cuda:
                torch.cuda.synchronize()
            best[name] = min(best[name], (clock() - start) / steps * 1000)
    return best


def compare(arrays: Arrays, args) -> dict:
    """{"device", "train", "rows": {loop: {samples/s and accuracy, and paired ratios to the hand-written}}}."""
    options = {"epochs": args.epochs, "device": args.device}
    job = build_job(DESIGN, arrays, options, Limits())  # the engine's initial weights and training split
    device = torch.device(job.device)
    initial = dict(zip(TutorialCNN().state_dict(), job.model.state_dict().values()))
    train_idx, _ = split_train_val(arrays, job.config, torch.Generator().manual_seed(job.config.seed))
    x = (torch.as_tensor(arrays.x_train[train_idx.numpy()]).float() / 255).to(device)  # ToTensor's scaling
    y = torch.as_tensor(arrays.y_train[train_idx.numpy()]).long().to(device)
    x_test = (torch.as_tensor(arrays.x_test).float() / 255).to(device)
    y_test = torch.as_tensor(arrays.y_test).long().to(device)
    # What a torchvision user adds: transforms.Normalize with the training split's channel statistics.
    mean, std = x.mean(dim=(0, 2, 3), keepdim=True), x.std(dim=(0, 2, 3), keepdim=True)
    xn, xn_test = (x - mean) / std, (x_test - mean) / std
    loops = {"engine, as a run trains (X-ray on)": lambda epochs: engine_run(arrays, dict(options, epochs=epochs)),
             "engine, X-ray off": lambda epochs: engine_run(arrays, dict(options, epochs=epochs, xray=False)),
             "hand-written": lambda epochs: hand_run(initial, x, y, x_test, y_test, epochs, device),
             NORMALIZED: lambda epochs: hand_run(initial, xn, y, xn_test, y_test, epochs, device)}
    for run in loops.values():
        run(1)  # warm-up
    names = list(loops)
    runs = {name: [] for name in names}
    for r in range(args.repeats):  # each in turn, starting from a different one each round
        for name in names[r % len(names):] + names[:r % len(names)]:
            runs[name].append(loops[name](args.epochs))
    hand = [s for s, _ in runs["hand-written"]]
    hand_normalized = [s for s, _ in runs[NORMALIZED]]
    rows = {}
    for name, results in runs.items():
        speed = [s for s, _ in results]
        ratios = sorted(e / h for e, h in zip(speed, hand))  # a slow spell of a shared machine hits both
        rows[name] = {"speed": statistics.median(speed), "ratio": statistics.median(ratios), "low": ratios[0],
                      "high": ratios[-1], "best_ratio": max(speed) / max(hand),
                      "ratio_normalized": statistics.median(e / h for e, h in zip(speed, hand_normalized)),
                      "accuracy": statistics.median(a for _, a in results)}
    steps = step_costs(build_job(DESIGN, arrays, options, Limits()), initial, x, xn, y, device)
    return {"device": str(device), "train": len(train_idx), "rows": rows, "steps": steps}


# --- memory ------------------------------------------------------------------------------------

def peak_mb() -> float:
    """This process's peak resident set so far. VmHWM rather than ru_maxrss, which Linux carries over
    from the parent through fork and exec (it would report the parent's peak)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def memory_child(storage: str, args) -> None:
    """In a fresh process: load CIFAR-10 from the cache, store it as asked, train until `--memory-steps`
    steps, then print the peak resident set at each stage as JSON."""
    settings.LAYERLAB_DATASET_CACHE = Path(args.cache)
    stages = {"imports": peak_mb()}
    arrays, _ = dataset_store.builtin("cifar10", fetch=False)
    stages["loaded"] = peak_mb()
    if storage == "float32":
        x_train, x_test = (np.divide(x, 255, dtype=np.float32) for x in (arrays.x_train, arrays.x_test))
        meta = {k: v for k, v in arrays.meta.items() if k != "pixels"}
        arrays = Arrays(x_train, arrays.y_train, x_test, arrays.y_test, arrays.classes, meta)
        dataset_store._loaded.clear()  # a float32 store holds only the float32 copy
        stages["converted"] = peak_mb()
    job = build_job(DESIGN, arrays, {"epochs": 1, "device": args.device}, Limits())
    steps = iter(range(args.memory_steps))

    def stop() -> bool:
        if next(steps, None) is None:
            stages["trained"] = peak_mb()  # the training steps' peak, before the test set's evaluation
            return True
        return False

    job.train(on_event=[].append, should_stop=stop, observer=job.xray())
    stages["peak"] = peak_mb()
    print(json.dumps(dict(stages, x_train_mb=arrays.x_train.nbytes / 2**20, n_train=len(arrays.x_train))))


def measure_memory(args) -> dict:
    out = {}
    for storage in ("uint8", "float32"):
        cmd = [sys.executable, __file__, "--memory-child", storage, "--cache", str(settings.LAYERLAB_DATASET_CACHE),
               "--device", args.device, "--threads", str(args.threads), "--memory-steps", str(args.memory_steps)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[storage] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# --- report ------------------------------------------------------------------------------------

def report(row: dict, memory: dict | None, real: bool, args) -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    data = "the real CIFAR-10" if real else ("a SYNTHETIC CIFAR-10-shaped set (no real CIFAR-10 reachable): its "
                                             "accuracy is not comparable to the tutorial's ~70%; read the throughput")
    threads = f", {torch.get_num_threads()} CPU thread(s)" if row["device"] == "cpu" else ""
    lines = [f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, load average {load} "
             f"(at the end); {data}. Run: `bench/bench_cifar.py --epochs {args.epochs}"
             f"{f' --train {args.train}' if args.train else ''} --repeats {args.repeats}`: "
             f"{row['train']:,} training images, batch 64, Adam{threads}, {args.repeats} rounds of one run each, "
             f"in turn; device {row['device']}.", "",
             "| loop | samples/s (median) | / hand-written (median of pairs) | pair range | ratio of bests "
             "| / hand-written, normalized (median of pairs) | test accuracy (median) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in row["rows"].items():
        lines.append(f"| {name} | {r['speed']:,.0f} | {r['ratio']:.3f} | {r['low']:.2f}-{r['high']:.2f} "
                     f"| {r['best_ratio']:.3f} | {r['ratio_normalized']:.3f} | {r['accuracy']:.3f} |")
    steps, clock = row["steps"], "wall" if row["device"].startswith("cuda") else "CPU"
    lines += ["", f"One training step, {clock} time, the best of 15 interleaved blocks of 10 steps (steady on a busy "
                  f"machine; no X-ray, points or epochs): engine {steps['engine']:.1f} ms, hand-written "
                  f"{steps['hand']:.1f} ms, hand-written on normalized inputs {steps['hand_normalized']:.1f} ms; "
                  f"engine / hand-written throughput {steps['hand'] / steps['engine']:.3f}, engine / normalized "
                  f"hand-written {steps['hand_normalized'] / steps['engine']:.3f}."]
    if memory:
        lines += ["", f"Peak RSS of a fresh worker-like process (torch, Django, the store, then `build_job` and "
                      f"`job.train` stopped after {args.memory_steps} steps), the whole set "
                      f"({memory['uint8']['n_train']:,} training images):", "",
                  "| storage | x_train (MB) | peak after imports (MB) | after loading (and converting) | after the "
                  "training steps | overall, with the test evaluation |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for storage, m in memory.items():
            lines.append(f"| {storage} | {m['x_train_mb']:,.0f} | {m['imports']:,.0f} | "
                         f"{m.get('converted', m['loaded']):,.0f} | {m.get('trained', m['peak']):,.0f} "
                         f"| {m['peak']:,.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--train", type=int, default=None, help="train on the first N training images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0 keeps torch's default)")
    parser.add_argument("--no-memory", action="store_true", help="skip the uint8 / float32 memory measurement")
    parser.add_argument("--memory-steps", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--memory-child", choices=["uint8", "float32"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_child:
        return memory_child(args.memory_child, args)
    with tempfile.TemporaryDirectory(prefix="bench-cifar-") as tmp:
        started = time.monotonic()
        arrays, real = load_cifar(Path(tmp))
        what = "real" if real else "SYNTHETIC"
        print(f"data: {what} CIFAR-10 ready in {time.monotonic() - started:.0f} s", flush=True)
        row = compare(first_n(arrays, args.train), args)
        memory = None if args.no_memory else measure_memory(args)
    text = report(row, memory, real, args) + f"\nThe whole bench took {time.monotonic() - started:.0f} s.\n"
    print(text)
    if not args.no_write:
        append_section(text, heading=HEADING, rerun="bench/bench_cifar.py --train 5000 --epochs 2")


if __name__ == "__main__":
    main()
