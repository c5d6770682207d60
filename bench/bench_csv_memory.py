"""Peak memory of parsing a numeric CSV upload: `python bench/bench_csv_memory.py [MB]`.

Writes a CSV of about MB megabytes (784 one-digit columns and a label, like MNIST pixels), parses it with the upload
parser in this process and prints the peak resident memory above the starting point.
"""
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from trainer.datasets import UploadOptions, parse_upload  # noqa: E402


def make_csv(megabytes: float, columns: int = 784) -> bytes:
    """Small cells, as a table of pixel values has: one digit each, so the most cells per byte."""
    rng = np.random.default_rng(0)
    header = ",".join(f"p{i}" for i in range(columns)) + ",label\n"
    rows = int(megabytes * 2**20 / (columns * 2 + 2))
    x = rng.integers(0, 10, size=(rows, columns))
    body = "\n".join(",".join(map(str, r)) + f",{i % 10}" for i, r in enumerate(x.tolist()))
    return (header + body + "\n").encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 24
    path = Path(tempfile.gettempdir()) / f"layerlab-bench-{megabytes:g}mb.csv"
    if not path.exists():  # made in a child process, so making it does not count in this one's peak
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                        f"from bench_csv_memory import make_csv; open({str(path)!r}, 'wb').write(make_csv({megabytes}))"],
                       check=True)
    data = path.read_bytes()
    import sklearn.model_selection  # noqa: F401  (the split's library: its import is not the parse's memory)

    start = peak_mb()
    t = time.perf_counter()
    arrays = parse_upload("big.csv", io.BytesIO(data), UploadOptions())
    print(f"csv {len(data) / 2**20:.1f} MB, {arrays.train_size + arrays.test_size:,} rows: peak RSS +"
          f"{peak_mb() - start:,.0f} MB over {start:,.0f} MB, {time.perf_counter() - t:.1f} s")
