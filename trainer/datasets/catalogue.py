"""The built-in datasets, one catalogue: generated ones (always present) and downloaded ones,
whose shapes, classes and sizes are declared here so a run can be checked before the data exists.
Each is cached as `<cache>/<name>-v<version>.npz`."""
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np

from .builtin import DIGIT_CLASSES, Arrays, digits_arrays, load_arrays, mnist1d_arrays, save_arrays
from .common import DatasetError
from .download import FetchSettings
from .originals import cifar_dataset, idx_dataset, imdb_dataset
from .prepare import Progress, prepare
from .sources import SOURCES, Source

CACHE_VERSION = 1  # bump when a built-in's contents change, so stale caches are never read
IMDB_VOCAB, IMDB_SEQ_LEN = 5000, 50  # what the LSTM starter's Input and Embedding expect

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR100_CLASSES = """apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly
camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin
elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man
maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain
plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake
spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip
turtle wardrobe whale willow_tree wolf woman worm""".split()


class NotPresent(DatasetError):
    """A downloadable built-in that this server has not fetched yet."""


@dataclass(frozen=True)
class Builtin:
    description: str
    input_shape: list[int]
    build: Callable[..., Arrays]  # generated: build(); downloaded: build({filename: path})
    kind: str
    classes: list[str]
    train_size: int
    test_size: int
    dtype: str = "float32"  # what the model's Input receives
    sources: tuple[Source, ...] = ()  # empty: generated locally

    @property
    def download_bytes(self) -> int:
        return sum(s.size for s in self.sources)

    def stand_in(self, name: str) -> Arrays:
        """No samples, but the declared shape, dtype and classes: enough to check a run against."""
        dtype = np.int64 if self.dtype == "int64" else np.float32
        empty = np.zeros((0, *self.input_shape), dtype=dtype)
        return Arrays(empty, np.zeros(0, np.int64), empty, np.zeros(0, np.int64), list(self.classes),
                      {"kind": self.kind, "name": name})


def _idx(classes, source):
    return lambda files: idx_dataset(files, classes, {"source": source, "split": "the original 60,000 / 10,000"})


BUILTINS: dict[str, Builtin] = {
    "digits": Builtin("scikit-learn's 8x8 handwritten digits as 1-channel images, 1,437 train / 360 test",
                      [1, 8, 8], partial(digits_arrays, as_rows=False), "image", DIGIT_CLASSES, 1437, 360),
    "digits-rows": Builtin("the same digits as sequences: 8 time steps (rows) of 8 features",
                           [8, 8], partial(digits_arrays, as_rows=True), "sequence", DIGIT_CLASSES, 1437, 360),
    "mnist1d": Builtin("MNIST-1D: 1-D signals of 40 points, 10 classes, 4,000 train / 1,000 test",
                       [1, 40], partial(mnist1d_arrays, as_sequence=False), "signal", DIGIT_CLASSES, 4000, 1000),
    "mnist1d-seq": Builtin("MNIST-1D as sequences: 40 time steps of 1 feature",
                           [40, 1], partial(mnist1d_arrays, as_sequence=True), "sequence", DIGIT_CLASSES, 4000, 1000),
    "mnist": Builtin("MNIST handwritten digits, 28x28 grey, 60,000 train / 10,000 test (downloaded)",
                     [1, 28, 28], _idx(DIGIT_CLASSES, "MNIST idx files"), "image", DIGIT_CLASSES, 60000, 10000,
                     sources=SOURCES["mnist"]),
    "fashion-mnist": Builtin("Fashion-MNIST: Zalando's clothing images, 28x28 grey, 10 classes, 60,000 / 10,000 "
                             "(downloaded)", [1, 28, 28], _idx(FASHION_CLASSES, "Fashion-MNIST idx files"), "image",
                             FASHION_CLASSES, 60000, 10000, sources=SOURCES["fashion-mnist"]),
    "cifar10": Builtin("CIFAR-10: 32x32 colour photos, 10 classes, 50,000 train / 10,000 test (downloaded)",
                       [3, 32, 32], lambda files: cifar_dataset(
                           files["cifar-10-binary.tar.gz"], "cifar-10-batches-bin",
                           [f"data_batch_{i}.bin" for i in range(1, 6)], "test_batch.bin", 1, CIFAR10_CLASSES,
                           {"source": "CIFAR-10 binary version"}),
                       "image", CIFAR10_CLASSES, 50000, 10000, sources=SOURCES["cifar10"]),
    "cifar100": Builtin("CIFAR-100: 32x32 colour photos, 100 fine classes, 50,000 train / 10,000 test (downloaded)",
                        [3, 32, 32], lambda files: cifar_dataset(
                            files["cifar-100-binary.tar.gz"], "cifar-100-binary", ["train.bin"], "test.bin", 2,
                            CIFAR100_CLASSES, {"source": "CIFAR-100 binary version, fine labels"}),
                        "image", CIFAR100_CLASSES, 50000, 10000, sources=SOURCES["cifar100"]),
    "imdb": Builtin(f"IMDB movie reviews (Stanford Large Movie Review), positive or negative, {IMDB_SEQ_LEN} token "
                    f"ids from a {IMDB_VOCAB:,}-word vocabulary, 25,000 / 25,000 (downloaded)",
                    [IMDB_SEQ_LEN], lambda files: imdb_dataset(files["aclImdb_v1.tar.gz"], IMDB_VOCAB, IMDB_SEQ_LEN,
                                                               {"source": "aclImdb_v1 text files"}),
                    "tokens", ["neg", "pos"], 25000, 25000, dtype="int64", sources=SOURCES["imdb"]),
}


def cache_path(name: str, cache_dir) -> Path:
    return Path(cache_dir) / f"{name}-v{CACHE_VERSION}.npz"


def is_present(name: str, cache_dir) -> bool:
    return not BUILTINS[name].sources or cache_path(name, cache_dir).exists()


def load_builtin(name: str, cache_dir, fetch: FetchSettings | None = None,
                 on_progress: Progress | None = None) -> Arrays:
    """The built-in `name` from `cache_dir`; generated, or with `fetch` downloaded, when it is not there yet.
    A downloadable one that is absent without `fetch` raises NotPresent."""
    if name not in BUILTINS:
        raise KeyError(f"no built-in dataset {name!r}; choose one of {', '.join(BUILTINS)}")
    spec, path = BUILTINS[name], cache_path(name, cache_dir)
    if path.exists():
        try:
            return load_arrays(path)
        except Exception:  # a damaged cache file is rebuilt, never trusted
            pass
    if spec.sources:
        if fetch is None:
            raise NotPresent(f"{name} is not on this server yet: fetch it first (the Download button on the "
                             f"datasets page, or manage.py datasets fetch {name}).")
        return prepare(name, spec, path, fetch, on_progress)
    arrays = spec.build()
    arrays.meta["name"] = name
    # Two processes may build at once: each writes its own temp file and the rename is atomic.
    save_arrays(arrays, path)
    return arrays
