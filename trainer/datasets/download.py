"""Fetch one original file: from the mirror first, then its canonical URLs. It is written to a
temporary name beside its target, checked against its MD5, and only then renamed, so a cut or
wrong download is never used. Pure core: urllib and hashlib (see docs/datasets.md for why not
torchvision's downloader)."""
import errno
import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Callable

from .common import DatasetError
from .sources import Source

CHUNK = 256 * 1024
MIRROR_HINT = ("set LAYERLAB_DATASET_MIRROR to a folder or http(s) URL holding the original files "
               "(as <mirror>/<dataset>/<filename>), or let this server reach the internet")


class FetchError(DatasetError):
    """A dataset could not be fetched; the message says why and what to do."""


@dataclass
class FetchSettings:
    mirror: str | None = None  # a directory or an http(s) URL, tried first
    internet: bool = True  # then the canonical URLs
    checksums: dict[str, str] = field(default_factory=dict)  # "<dataset>/<filename>" -> md5, replacing the table's
    timeout: float = 60.0  # seconds without a byte before a connection is given up


class _Failed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "unreachable", "cut" or "checksum"


def locations(dataset: str, source: Source, settings: FetchSettings) -> list[str]:
    found = []
    if settings.mirror:
        if settings.mirror.startswith(("http://", "https://")):
            found.append(f"{settings.mirror.rstrip('/')}/{dataset}/{source.filename}")
        else:
            found.append(str(Path(settings.mirror) / dataset / source.filename))
    if settings.internet:
        found += source.urls
    return found


def md5_of(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_file(dataset: str, source: Source, target_dir: Path, settings: FetchSettings,
               on_bytes: Callable[[int], None] = lambda n: None,
               on_length: Callable[[int], None] = lambda n: None) -> Path:
    """`target_dir/source.filename`, verified; a verified copy already there is reused. `on_bytes(n)` is
    told of bytes received (negative when a failed try is taken back), `on_length` of the size a server gives."""
    expected = settings.checksums.get(f"{dataset}/{source.filename}", source.md5).lower()
    target = Path(target_dir) / source.filename
    if target.exists() and md5_of(target) == expected:
        on_length(target.stat().st_size)
        on_bytes(target.stat().st_size)
        return target
    where = locations(dataset, source, settings)
    failures = []
    for location in where:
        try:
            _copy_verified(location, target, expected, settings.timeout, on_bytes, on_length)
            return target
        except _Failed as failure:
            failures.append(failure)
    raise FetchError(_explain(dataset, source, settings, failures))


def _explain(dataset: str, source: Source, settings: FetchSettings, failures: list[_Failed]) -> str:
    if not failures:
        return f"No place to fetch {dataset} from: {MIRROR_HINT}."
    for kind in ("checksum", "cut"):
        worst = [f for f in failures if f.kind == kind]
        if worst:
            return str(worst[0])
    reasons = "; ".join(str(f) for f in failures)
    return f"Could not fetch {source.filename} for {dataset} ({reasons}): {MIRROR_HINT}."


def _open(location: str, timeout: float):
    """(stream, size or None) for a URL or a file path; _Failed('unreachable') when there is none."""
    try:
        if location.startswith(("http://", "https://")):
            request = urllib.request.Request(location, headers={"User-Agent": "LayerLab dataset fetcher"})
            response = urllib.request.urlopen(request, timeout=timeout)
            length = response.headers.get("Content-Length")
            return response, int(length) if length and length.isdigit() else None
        stream = open(location, "rb")
        return stream, os.fstat(stream.fileno()).st_size
    except urllib.error.HTTPError as exc:
        raise _Failed("unreachable", f"{location} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or exc
        raise _Failed("unreachable", f"{location}: {reason}") from None


def _copy_verified(location: str, target: Path, expected: str, timeout: float, on_bytes, on_length) -> None:
    stream, size = _open(location, timeout)
    if size is not None:
        on_length(size)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    received = 0
    try:
        h = hashlib.md5(usedforsecurity=False)
        with stream, os.fdopen(fd, "wb") as out:
            while block := _read(stream, location, received, size):
                out.write(block)
                h.update(block)
                received += len(block)
                on_bytes(len(block))
        if size is not None and received != size:
            raise _Failed("cut", f"The download of {target.name} from {location} stopped after {received:,} of "
                                 f"{size:,} bytes (the connection broke, or the file is cut short): try again.")
        if h.hexdigest() != expected:
            raise _Failed("checksum", f"{target.name} from {location} does not match its published checksum "
                                      f"(md5 {h.hexdigest()}, expected {expected}): it is damaged or not the "
                                      "original file. Replace it, or try again.")
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        on_bytes(-received)
        if exc.errno == errno.ENOSPC:
            free = shutil.disk_usage(target.parent).free
            raise FetchError(f"The disk holding {target.parent} is full ({free / 2**20:,.1f} MB free) while "
                             f"writing {target.name}: free some space, or point LAYERLAB_DATASET_CACHE at a "
                             "larger disk, then try again.") from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        on_bytes(-received)
        raise


def _read(stream, location: str, received: int, size: int | None) -> bytes:
    try:
        return stream.read1(CHUNK)  # what has arrived, up to CHUNK: progress moves with the network
    except (HTTPException, TimeoutError, ConnectionError) as exc:  # a cut or stalled connection
        total = f"{size:,}" if size else "?"
        raise _Failed("cut", f"The download from {location} stopped after {received:,} of {total} bytes "
                             f"({type(exc).__name__}): the connection broke. Try again.") from None
