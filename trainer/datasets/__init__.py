"""Datasets as plain arrays (pure core: numpy, no Django): the built-ins, generated or fetched from
their original sources, and the parsers of users' uploads. `trainer/dataset_store.py` is the Django
adapter over it."""
from .builtin import ARRAY_KEYS, Arrays, load_arrays, save_arrays  # noqa: F401
from .catalogue import BUILTINS, NotPresent, cache_path, is_present, load_builtin  # noqa: F401
from .common import DatasetError, UploadOptions  # noqa: F401
from .download import FetchError, FetchSettings  # noqa: F401
from .prepare import fraction, read_status, write_status  # noqa: F401
from .uploads import content_hash, parse_upload, preview  # noqa: F401
