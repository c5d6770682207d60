"""How long summarize() takes on big designs, cold (empty cache) and warm, against a plain topological pass.

    .venv/bin/python bench/bench_summary.py [--write]   (--write updates docs/benchmarks.md)
"""
import cProfile
import datetime
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.document import check_document  # noqa: E402
from builder.infer import infer_node  # noqa: E402
from builder.summary import summarize  # noqa: E402

HEADING = "## Graph summary (in-process)"


def residual_tower(nodes: int) -> dict:
    """A ResNet-like tower of `nodes` nodes: conv, BatchNorm, ReLU, conv, Add, ReLU per block, widening as it goes."""
    doc = [{"id": "image", "type": "Input", "params": {"shape": [3, 32, 32]}},
           {"id": "stem", "type": "Conv2d", "inputs": ["image"], "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}}]
    last, block, width = "stem", 0, 16
    while len(doc) + 9 <= nodes:
        b = f"b{block}"
        if block % 8 == 7:
            width *= 2  # a new stage: different shapes, so the cold cache has real work to do
            doc.append({"id": f"{b}_proj", "type": "Conv2d", "inputs": [last], "params": {"out_channels": width, "kernel_size": 1}})
            last = f"{b}_proj"
        doc += [
            {"id": f"{b}_c1", "type": "Conv2d", "inputs": [last], "params": {"out_channels": width, "kernel_size": 3, "padding": 1}},
            {"id": f"{b}_n1", "type": "BatchNorm2d", "inputs": [f"{b}_c1"]},
            {"id": f"{b}_r1", "type": "ReLU", "inputs": [f"{b}_n1"]},
            {"id": f"{b}_c2", "type": "Conv2d", "inputs": [f"{b}_r1"], "params": {"out_channels": width, "kernel_size": 3, "padding": 1}},
            {"id": f"{b}_n2", "type": "BatchNorm2d", "inputs": [f"{b}_c2"]},
            {"id": f"{b}_add", "type": "Add", "inputs": [last, f"{b}_n2"]},
            {"id": f"{b}_out", "type": "ReLU", "inputs": [f"{b}_add"]},
        ]
        last, block = f"{b}_out", block + 1
    doc += [{"id": "gap", "type": "AdaptiveAvgPool2d", "inputs": [last], "params": {"output_size": 1}},
            {"id": "flat", "type": "Flatten", "inputs": ["gap"]},
            {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}}]
    while len(doc) < nodes:  # pad to the exact size with cheap distinct-shaped heads
        doc.append({"id": f"head{len(doc)}", "type": "Linear", "inputs": ["flat"], "params": {"out_features": len(doc)}})
    return {"format": "layerlab.graph/1", "name": f"tower-{nodes}", "nodes": doc,
            "outputs": ["logits"] + [n["id"] for n in doc if n["id"].startswith("head")]}


def distinct_chain(nodes: int) -> dict:
    """The cache's worst case: every node differs (a Conv1d/ReLU/Linear mix with a new width at each step)."""
    doc = [{"id": "signal", "type": "Input", "params": {"shape": [4, 64]}}]
    for i in range(1, nodes):
        kind = ("Conv1d", "ReLU", "BatchNorm1d")[i % 3]
        params = {"out_channels": 4 + i, "kernel_size": 3, "padding": 1} if kind == "Conv1d" else {}
        doc.append({"id": f"n{i}", "type": kind, "inputs": [doc[-1]["id"]], "params": params})
    return {"format": "layerlab.graph/1", "name": f"chain-{nodes}", "nodes": doc}


def timings(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def cold(doc):
    infer_node.cache_clear()
    summarize(doc)


def row(label: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return f"| {label} | {statistics.median(times):.1f} | {p95:.1f} |"


def run() -> tuple[list[str], str]:
    summarize(residual_tower(50))  # imports and torch's first-call setup are not what we measure
    lines = ["| case | median ms | p95 ms |", "| --- | ---: | ---: |"]
    for size, doc in ((50, residual_tower(50)), (300, residual_tower(300)), (300, distinct_chain(300))):
        assert len(doc["nodes"]) == size and summarize(doc)["valid"], summarize(doc)["errors"][:1]
        infer_node.cache_clear()
        summarize(doc)
        size = f"{doc['name']}, {infer_node.cache_info().currsize} distinct"
        base = timings(lambda: check_document(doc), 30)
        lines.append(row(f"{size} nodes: baseline, checks and topological order only", base))
        lines.append(row(f"{size} nodes: summarize, cold cache", timings(lambda: cold(doc), 10)))
        lines.append(row(f"{size} nodes: summarize, warm cache (every edit after the first)", timings(lambda: summarize(doc), 30)))
    return lines, profile(residual_tower(300)) + "\n\n" + profile(distinct_chain(300))


def profile(doc) -> str:
    """Where a cold summary's time goes (cumulative shares; they overlap, so they need not add to 100%)."""
    profiler = cProfile.Profile()
    infer_node.cache_clear()
    profiler.runcall(summarize, doc)
    stats = pstats.Stats(profiler)
    total = max(v[3] for v in stats.stats.values())  # summarize's own cumulative time

    def share(file_part: str, function: str) -> str:
        spent = sum(v[3] for k, v in stats.stats.items() if file_part in k[0] and k[2] == function)
        return f"{spent / total:.0%}"

    return (f"Cold profile of {doc['name']}: meta-device inference {share('infer.py', 'run_on_meta')} of the time, of which "
            f"torch's Python decomposition of BatchNorm for meta tensors {share('decompositions.py', 'native_batch_norm_helper')}, "
            f"torch's Python reference for ReLU {share('_refs/nn/functional', 'relu')}, "
            f"FlopCounterMode's dispatch (Linear, Conv, RNN only) {share('flop_counter.py', '__torch_dispatch__')}, "
            f"building modules on the meta device {share('blocks.py', 'build')} (weight init {share('torch/nn/modules', 'reset_parameters')}); "
            f"document checks {share('document.py', 'check_document')}, warnings {share('summary.py', 'check_warnings')}.")


def machine() -> str:
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip() or platform.platform()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"`{uname}`, {os.cpu_count()} CPUs (load average {load} while measuring: the machine is shared), "
            f"Python {platform.python_version()}, torch {__import__('torch').__version__}")


def section(lines: list[str], note: str) -> str:
    return "\n".join([
        HEADING, "",
        f"`bench/bench_summary.py`, {datetime.date.today()}, on {machine()}.",
        "A ResNet-like tower (conv, BatchNorm, ReLU, conv, BatchNorm, Add, ReLU per block; widening every 8 blocks) "
        "padded with Linear heads to 50 and 300 nodes. Baseline: the same document through `check_document` only "
        "(structure, parameters, topological order; no meta execution). Cold: the inference cache emptied before each call.",
        "", *lines, "", note, "",
        "What it means: every edit after the first is answered from the cache (a few ms for 300 nodes, about the cost "
        "of reading the document). A cold 300-node design is well under the 150 ms goal when layers repeat, as real "
        "designs do; the all-distinct chain is the worst case and still misses it. Running each node under no_grad "
        "took autograd out of building modules and out of FlopCounterMode's hooks; what is left is torch's own "
        "Python meta kernels, run once per new (type, params, input shape): BatchNorm's decomposition (about 1 ms a "
        "node) and ReLU's reference (about 0.4 ms) above all. Eval mode was already in place and inference mode "
        "measured no better than no_grad; skipping weight init through a TorchFunctionMode cost more than the init "
        "it saved, and reusing one FlopCounterMode saved nothing measurable (and would be shared between threads).", ""])


def write(text: str) -> None:
    path = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if HEADING in old:  # replace only this section; others belong to other benchmarks
        before, rest = old.split(HEADING, 1)
        after = rest[rest.find("\n## "):] if "\n## " in rest else ""
        new = before + text + after.lstrip("\n").join(["\n", ""]) if after else before + text
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    lines, note = run()
    text = section(lines, note)
    print(text)
    if "--write" in sys.argv:
        write(text)
