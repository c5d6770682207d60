"""Datasets as plain arrays (pure core: numpy, no Django, no network): the built-ins and the
parsers of users' uploads. `trainer/dataset_store.py` is the Django adapter over it."""
from .builtin import ARRAY_KEYS, BUILTINS, Arrays, load_arrays, load_builtin, save_arrays  # noqa: F401
from .common import DatasetError, UploadOptions  # noqa: F401
from .uploads import content_hash, parse_upload, preview  # noqa: F401
