"""Small datasets written in each original format (MNIST idx.gz, CIFAR binary tar.gz, aclImdb
tar.gz), a mirror folder holding them, and a local HTTP server that serves that folder slowly,
cut short or counted. The tests' checksums are computed here; nothing reaches the internet."""
import gzip
import hashlib
import io
import socket
import struct
import tarfile
import threading
import time
from collections import Counter
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

IDX_NAMES = {"train_x": "train-images-idx3-ubyte.gz", "train_y": "train-labels-idx1-ubyte.gz",
             "test_x": "t10k-images-idx3-ubyte.gz", "test_y": "t10k-labels-idx1-ubyte.gz"}
REVIEWS = {
    ("train", "pos"): ["A wonderful film, wonderful acting.<br /><br />Loved it!", "Great fun and a great cast"],
    ("train", "neg"): ["Awful plot; awful acting.", "Boring, boring film. I left early", "Dull and awful"],
    ("test", "pos"): ["wonderful and great", "Loved the cast"],
    ("test", "neg"): ["boring awful mess"],
}


def idx_gz(a: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape)
    return gzip.compress(header + a.astype(np.uint8).tobytes())


def mnist_like(n_train: int = 30, n_test: int = 10, seed: int = 0) -> tuple[dict[str, bytes], dict]:
    rng = np.random.default_rng(seed)
    arrays = {"train_x": rng.integers(0, 256, (n_train, 28, 28)), "train_y": np.arange(n_train) % 10,
              "test_x": rng.integers(0, 256, (n_test, 28, 28)), "test_y": np.arange(n_test)[::-1] % 10}
    return {IDX_NAMES[k]: idx_gz(v) for k, v in arrays.items()}, arrays


def tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def cifar_records(n: int, label_bytes: int, num_classes: int, rng) -> tuple[bytes, np.ndarray, np.ndarray]:
    images = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    labels = rng.integers(0, num_classes, n)
    rows = [bytes([(lab // 5) % 20] * (label_bytes - 1) + [lab]) + img.tobytes() for img, lab in zip(images, labels)]
    return b"".join(rows), images, labels


def cifar10_like(per_batch: int = 4, seed: int = 0) -> tuple[bytes, dict]:
    rng = np.random.default_rng(seed)
    members, xs, ys = {}, [], []
    for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
        data, x, y = cifar_records(per_batch, 1, 10, rng)
        members[f"cifar-10-batches-bin/{name}"] = data
        xs.append(x)
        ys.append(y)
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\nautomobile\n"
    return tar_gz(members), {"x_train": np.concatenate(xs[:5]), "y_train": np.concatenate(ys[:5]),
                             "x_test": xs[5], "y_test": ys[5]}


def cifar100_like(n_train: int = 12, n_test: int = 5, seed: int = 0) -> tuple[bytes, dict]:
    rng = np.random.default_rng(seed)
    train, x_train, y_train = cifar_records(n_train, 2, 100, rng)
    test, x_test, y_test = cifar_records(n_test, 2, 100, rng)
    data = tar_gz({"cifar-100-binary/train.bin": train, "cifar-100-binary/test.bin": test})
    return data, {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def imdb_like(reviews: dict = REVIEWS) -> bytes:
    members = {"aclImdb/README": b"readme", "aclImdb/imdb.vocab": b"a\nb\n"}
    for (split, label), texts in reviews.items():
        for i, text in enumerate(texts):
            members[f"aclImdb/{split}/{label}/{i}_{7 if label == 'pos' else 2}.txt"] = text.encode()
    members["aclImdb/train/unsup/0_0.txt"] = b"unlabelled reviews are left out"
    return tar_gz(members)


def originals() -> dict[str, dict[str, bytes]]:
    """Every downloadable built-in's files, small: {dataset: {filename: bytes}}."""
    return {"mnist": mnist_like()[0], "fashion-mnist": mnist_like(seed=1)[0],
            "cifar10": {"cifar-10-binary.tar.gz": cifar10_like()[0]},
            "cifar100": {"cifar-100-binary.tar.gz": cifar100_like()[0]},
            "imdb": {"aclImdb_v1.tar.gz": imdb_like()}}


def write_mirror(root: Path, files: dict[str, dict[str, bytes]]) -> dict[str, str]:
    """Lay `files` out as a mirror (<root>/<dataset>/<filename>); return their checksums table."""
    checksums = {}
    for dataset, members in files.items():
        for filename, data in members.items():
            (root / dataset).mkdir(parents=True, exist_ok=True)
            (root / dataset / filename).write_bytes(data)
            checksums[f"{dataset}/{filename}"] = hashlib.md5(data).hexdigest()
    return checksums


class Origin:
    """An HTTP server on 127.0.0.1 serving `root`: counts requests per path; `delay` seconds after
    each `chunk` bytes; `cut[path] = n` sends the full Content-Length but only n bytes; while `gate`
    is clear, requests are counted and then held until it is set."""

    def __init__(self, root: Path, delay: float = 0.0, chunk: int = 4096):
        self.root, self.delay, self.chunk = Path(root), delay, chunk
        self.requests: Counter = Counter()
        self.cut: dict[str, int] = {}
        self.gate = threading.Event()
        self.gate.set()
        origin = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                origin.requests[self.path] += 1
                origin.gate.wait()
                path = origin.root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                data = data[:origin.cut.get(self.path, len(data))]
                for i in range(0, len(data), origin.chunk):
                    self.wfile.write(data[i:i + origin.chunk])
                    self.wfile.flush()
                    time.sleep(origin.delay)
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> "Origin":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A URL on which nothing listens (the port was bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def app_on_mirror(work: Path, origin: Origin, checksums: dict[str, str], **env: str):
    """A LiveApp (not started yet) in `work` with an empty dataset cache, `origin` as its mirror,
    these checksums and no internet: what a test of first-use fetching needs."""
    import json

    from tests.live import LiveApp

    (work / "checksums.json").write_text(json.dumps(checksums))
    app = LiveApp(work)
    app.env.update(LAYERLAB_DATASET_MIRROR=origin.url, LAYERLAB_DATASET_INTERNET="false",
                   LAYERLAB_DATASET_CHECKSUMS=str(work / "checksums.json"), LAYERLAB_DATASET_CACHE=str(work / "cache"),
                   **env)
    return app
