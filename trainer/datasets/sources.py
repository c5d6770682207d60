"""Where the downloadable built-ins come from: each original file, its canonical MD5 and size.

The checksums are the ones the datasets' authors publish (and torchvision, torchtext and Keras
use). A mirror (`LAYERLAB_DATASET_MIRROR`) holds the same files as `<mirror>/<dataset>/<filename>`.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    filename: str
    md5: str
    size: int  # bytes, as published; used for progress before the server says
    urls: tuple[str, ...]  # canonical locations, tried in order after the mirror


def _idx(base_urls: tuple[str, ...], files: list[tuple[str, str, int]]) -> tuple[Source, ...]:
    return tuple(Source(name, md5, size, tuple(base + name for base in base_urls)) for name, md5, size in files)


MNIST = _idx(("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"), [
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542),
])
FASHION_MNIST = _idx(("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",), [
    ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
    ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29_515),
    ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102),
    ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5_148),
])
CIFAR10 = (Source("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", 170_052_171,
                  ("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",)),)
CIFAR100 = (Source("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8", 168_513_733,
                   ("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",)),)
IMDB = (Source("aclImdb_v1.tar.gz", "7c2ac02c03563afcf9b574c7e56c153a", 84_125_825,
               ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",)),)

SOURCES: dict[str, tuple[Source, ...]] = {
    "mnist": MNIST, "fashion-mnist": FASHION_MNIST, "cifar10": CIFAR10, "cifar100": CIFAR100, "imdb": IMDB,
}
