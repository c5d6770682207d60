"""Datasets as the API sees them: the built-ins (generated locally or fetched from their original
sources, cached) and a user's uploads. Fetching happens in workers and the CLI, never in a web request."""
import time

from django.conf import settings
from django.http import Http404
from rest_framework.exceptions import APIException

from .datasets import (BUILTINS, Arrays, DatasetError, FetchSettings, cache_path, content_hash, fraction, is_present,
                       load_arrays, load_builtin, read_status, write_status)
from .datasets.prepare import ACTIVE, STALE_AFTER, stored_hash
from .models import Dataset

_loaded: dict[str, tuple[Arrays, str]] = {}  # built-ins read once per process (they never change)


def cache_dir():
    return settings.LAYERLAB_DATASET_CACHE


def fetch_settings() -> FetchSettings:
    return FetchSettings(mirror=settings.LAYERLAB_DATASET_MIRROR, internet=settings.LAYERLAB_DATASET_INTERNET,
                         checksums=settings.LAYERLAB_DATASET_CHECKSUMS)


def builtin(key: str, on_progress=None, fetch: bool = True) -> tuple[Arrays, str]:
    """A built-in's arrays and content hash; an absent downloadable one is fetched (when `fetch`) under
    the cache's lock, reporting `on_progress(fraction)`, or else raises NotPresent."""
    if key not in _loaded:
        arrays = load_builtin(key, cache_dir(), fetch_settings() if fetch else None, on_progress)
        _loaded[key] = arrays, content_hash(arrays)
    return _loaded[key]


def prepare_dataset(key: str, on_progress=None) -> None:
    """Fetch a downloadable built-in into the cache if it is not there (Celery task, CLI)."""
    load_builtin(key, cache_dir(), fetch_settings(), on_progress)


def fetch_status(key: str) -> dict:
    """Where a built-in's download stands: state absent, queued, downloading, preparing, failed or ready."""
    spec = BUILTINS[key]
    present = is_present(key, cache_dir())
    info = read_status(cache_dir(), key) or {"state": "absent", "bytes_done": 0, "bytes_total": spec.download_bytes,
                                             "detail": ""}
    if present:
        info = dict(info, state="ready", detail="")
    elif info["state"] == "ready":  # the cache file was removed since
        info = dict(info, state="absent", bytes_done=0)
    return {"id": key, "present": present, "state": info["state"], "bytes_done": info["bytes_done"],
            "bytes_total": info["bytes_total"] or spec.download_bytes,
            "fraction": 1.0 if present else round(fraction(info), 4), "detail": info.get("detail", "")}


def is_busy(key: str) -> bool:
    """A fetch is queued or running and has given news recently: asking again adds nothing."""
    info = read_status(cache_dir(), key)
    return bool(info) and (info["state"] in ACTIVE or
                           (info["state"] == "queued" and time.time() - info["updated"] < STALE_AFTER))


def mark_queued(key: str) -> None:
    write_status(cache_dir(), key, "queued", 0, BUILTINS[key].download_bytes)


def mark_failed(key: str, detail: str) -> None:
    write_status(cache_dir(), key, "failed", 0, BUILTINS[key].download_bytes, detail)


def describe(key, name: str, arrays_or_row) -> dict:
    a = arrays_or_row
    return {"id": key, "name": name, "kind": a.kind if isinstance(a, Dataset) else a.meta.get("kind"),
            "input_shape": list(a.input_shape), "dtype": a.dtype, "num_classes": a.num_classes,
            "train_size": a.train_size, "test_size": a.test_size, "builtin": not isinstance(a, Dataset)}


def describe_builtin(key: str) -> dict:
    """From the catalogue alone: listing never reads, generates or fetches data."""
    spec = BUILTINS[key]
    return {"id": key, "name": key, "kind": spec.kind, "input_shape": list(spec.input_shape), "dtype": spec.dtype,
            "num_classes": len(spec.classes) or None, "train_size": spec.train_size, "test_size": spec.test_size,
            "builtin": True, "description": spec.description, "downloadable": bool(spec.sources),
            "present": is_present(key, cache_dir()), "download_bytes": spec.download_bytes,
            "fetch": fetch_status(key) if spec.sources else None}


def builtin_list() -> list[dict]:
    return [describe_builtin(key) for key in BUILTINS]


def describe_upload(ds: Dataset) -> dict:
    return dict(describe(ds.pk, ds.name, ds), classes=ds.classes, created=ds.created)


def _upload(key, user) -> Dataset:
    try:
        return Dataset.objects.get(pk=int(key), owner=user)
    except (TypeError, ValueError, Dataset.DoesNotExist):
        raise Http404(f"no dataset {key!r}; use a built-in ({', '.join(BUILTINS)}) or one of your uploads") from None


class DatasetUnavailable(APIException, DatasetError):
    """A built-in that is not on this server (or failed to fetch): 409 with the core's sentence in an API
    view, and still a DatasetError for a worker or a command."""
    status_code = 409
    default_code = "dataset_unavailable"


def resolve(key, user, on_progress=None, fetch: bool | None = None) -> tuple[Arrays, dict]:
    """(arrays, description) for a dataset id the user may use; Http404 otherwise.

    An absent downloadable built-in is fetched first when `fetch`, which defaults to whether
    `on_progress` is given: a caller that can report progress (a worker, the CLI) fetches, calling
    on_progress(fraction); a web request, which must not wait for a download, gets DatasetUnavailable."""
    if isinstance(key, str) and key in BUILTINS:
        try:
            arrays, digest = builtin(key, on_progress, on_progress is not None if fetch is None else fetch)
        except DatasetError as exc:
            raise DatasetUnavailable(str(exc)) from None
        return arrays, dict(describe(key, key, arrays), hash=digest, present=True)
    ds = _upload(key, user)
    return load_arrays(ds.path), dict(describe_upload(ds), hash=ds.content_hash)


def declared(key, user) -> tuple[Arrays, dict]:
    """Like resolve, but never fetches nor loads a downloadable built-in: a stand-in with no samples and its
    declared shape, dtype and classes (enough to check and queue a run), with the hash of its data when it
    is present, else None."""
    if isinstance(key, str) and key in BUILTINS and BUILTINS[key].sources:
        digest = stored_hash(cache_path(key, cache_dir()))
        return BUILTINS[key].stand_in(key), dict(describe_builtin(key), hash=digest)
    return resolve(key, user, fetch=False)
