"""Datasets as the API sees them: the built-ins (generated locally, cached) and a user's uploads."""
from functools import lru_cache

from django.conf import settings
from django.http import Http404

from .datasets import BUILTINS, Arrays, content_hash, load_arrays, load_builtin
from .models import Dataset


def cache_dir():
    return settings.LAYERLAB_DATASET_CACHE


@lru_cache(maxsize=None)
def builtin(key: str) -> tuple[Arrays, str]:
    """A built-in's arrays and content hash, read from the cache once per process (they never change)."""
    arrays = load_builtin(key, cache_dir())
    return arrays, content_hash(arrays)


def describe(key, name: str, arrays_or_row) -> dict:
    a = arrays_or_row
    return {"id": key, "name": name, "kind": a.kind if isinstance(a, Dataset) else a.meta.get("kind"),
            "input_shape": list(a.input_shape), "dtype": a.dtype, "num_classes": a.num_classes,
            "train_size": a.train_size, "test_size": a.test_size, "builtin": not isinstance(a, Dataset)}


def builtin_list() -> list[dict]:
    return [describe(key, key, builtin(key)[0]) for key in BUILTINS]


def describe_upload(ds: Dataset) -> dict:
    return dict(describe(ds.pk, ds.name, ds), classes=ds.classes, created=ds.created)


def resolve(key, user) -> tuple[Arrays, dict]:
    """(arrays, description) for a dataset id the user may use; Http404 otherwise."""
    if isinstance(key, str) and key in BUILTINS:
        arrays, digest = builtin(key)
        return arrays, dict(describe(key, key, arrays), hash=digest)
    try:
        ds = Dataset.objects.get(pk=int(key), owner=user)
    except (TypeError, ValueError, Dataset.DoesNotExist):
        raise Http404(f"no dataset {key!r}; use a built-in ({', '.join(BUILTINS)}) or one of your uploads") from None
    return load_arrays(ds.path), dict(describe_upload(ds), hash=ds.content_hash)
