"""Fetch and build a downloadable built-in once, however many processes ask at the same time.

A file lock in the cache directory makes one process the fetcher; the others wait for it and
follow its progress, which the fetcher writes to a small status file that any process (the web
page's poll, a run's stream, the CLI) can read. The .npz is written last and atomically, so its
presence means the dataset is complete.
"""
import errno
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from .builtin import Arrays, load_arrays, save_arrays
from .download import FetchError, FetchSettings, fetch_file
from .uploads import content_hash

STALE_AFTER = 120  # seconds without news from a fetcher before its status is taken as abandoned
ACTIVE = ("downloading", "preparing")
Progress = Callable[[float], None]


def status_path(cache_dir, name: str) -> Path:
    return Path(cache_dir) / ".status" / f"{name}.json"


def write_status(cache_dir, name: str, state: str, done: int = 0, total: int = 0, detail: str = "") -> dict:
    info = {"state": state, "bytes_done": max(0, done), "bytes_total": total, "detail": detail,
            "updated": time.time()}
    path = status_path(cache_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f)
    os.replace(tmp, path)
    return info


def read_status(cache_dir, name: str) -> dict | None:
    """The last status written for `name`, None if never fetched; an abandoned fetch reads as failed."""
    try:
        info = json.loads(status_path(cache_dir, name).read_text())
    except (OSError, ValueError):
        return None
    if info.get("state") in ACTIVE and time.time() - info.get("updated", 0) > STALE_AFTER:
        info.update(state="failed", detail="The download stopped without finishing (the process fetching it "
                                           "ended): fetch it again.")
    return info


def hash_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def stored_hash(path: Path) -> str | None:
    """The content hash written beside a fetched dataset's .npz, None if there is none (yet)."""
    try:
        return hash_path(path).read_text().strip() if path.exists() else None
    except OSError:
        return None


def fraction(info: dict | None) -> float:
    if not info or not info.get("bytes_total"):
        return 0.0
    return min(1.0, info["bytes_done"] / info["bytes_total"])


def prepare(name: str, spec, path: Path, settings: FetchSettings, on_progress: Progress | None = None) -> Arrays:
    """The arrays of downloadable built-in `spec`, fetched and cached at `path` unless already there."""
    cache_dir = path.parent
    lock = FileLock(str(cache_dir / ".locks" / f"{name}.lock"))
    (cache_dir / ".locks").mkdir(parents=True, exist_ok=True)
    waited_since = None
    while True:
        try:
            lock.acquire(timeout=0.5)
            break
        except Timeout:  # another process is fetching it: follow its progress
            waited_since = waited_since or time.time()
            if on_progress:
                on_progress(fraction(read_status(cache_dir, name)))
    try:
        if path.exists():
            try:
                return load_arrays(path)  # the process that held the lock made it
            except Exception:
                pass
        info = read_status(cache_dir, name)
        if waited_since and info and info["state"] == "failed" and info["updated"] >= waited_since:
            raise FetchError(info["detail"])  # the fetch we waited for failed: one try per wave of askers
        return _fetch_and_build(name, spec, path, settings, on_progress)
    finally:
        lock.release()


def _fetch_and_build(name, spec, path: Path, settings: FetchSettings, on_progress: Progress | None) -> Arrays:
    cache_dir = path.parent
    sizes = {s.filename: s.size for s in spec.sources}  # published sizes, until a server gives the real ones
    state = {"done": 0, "last": 0.0}

    def on_bytes(n: int) -> None:
        state["done"] += n
        now = time.monotonic()
        if now - state["last"] >= 0.2:
            state["last"] = now
            total = sum(sizes.values())
            write_status(cache_dir, name, "downloading", state["done"], total)
            if on_progress:
                on_progress(min(1.0, state["done"] / total))

    def fetch(source):
        return fetch_file(name, source, work, settings, on_bytes,
                          on_length=lambda n: sizes.__setitem__(source.filename, n))

    work = cache_dir / "downloads" / name
    write_status(cache_dir, name, "downloading", 0, sum(sizes.values()))
    try:
        files = {s.filename: fetch(s) for s in spec.sources}
    except Exception as exc:  # the originals verified so far stay in `work` for the next try
        write_status(cache_dir, name, "failed", state["done"], sum(sizes.values()), str(exc))
        raise
    total = state["done"]
    write_status(cache_dir, name, "preparing", state["done"], total)
    try:
        arrays = spec.build(files)
        arrays.meta["name"] = name
        save_arrays(arrays, path)
        hash_path(path).write_text(content_hash(arrays))  # so the web side can name the data without loading it
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            exc = FetchError(f"The disk holding {cache_dir} is full ({shutil.disk_usage(cache_dir).free / 2**20:,.1f}"
                             f" MB free) while saving {name}: free some space, or point LAYERLAB_DATASET_CACHE at "
                             "a larger disk, then try again.")
        write_status(cache_dir, name, "failed", state["done"], total, str(exc))
        raise exc from None
    finally:
        shutil.rmtree(work, ignore_errors=True)  # parsed, or unusable: either way never read again
    write_status(cache_dir, name, "ready", total, total)
    if on_progress:
        on_progress(1.0)
    return load_arrays(path)  # exactly what every later use reads (and writable, unlike the parsed buffers)
