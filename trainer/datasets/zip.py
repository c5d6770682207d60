"""ZIP uploads: one folder of images per class. The archive is treated as hostile: every member's
path, size and compression ratio are checked from the directory before anything is inflated, and
each read is capped, since a header can lie."""
import io
import posixpath
import re
import zipfile
from collections import defaultdict

import numpy as np

from .builtin import Arrays
from .common import DatasetError, UploadOptions, check_values, classes_from_labels, finish, split

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 50 * 2**20  # one image, or one array inside an .npz, inflated
MAX_TOTAL_BYTES = 1024 * 2**20  # the whole archive inflated
MAX_RATIO = 100  # inflated / compressed; real images compress a little, bombs by thousands
MAX_PIXELS = 40_000_000  # per image, checked from its header before decoding
MAX_OUTPUT_BYTES = 1024 * 2**20  # the float32 array the images become
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}
JUNK = re.compile(r"(^|/)(__MACOSX|\.[^/]*|Thumbs\.db|desktop\.ini)(/|$)", re.IGNORECASE)


def check_members(infos: list[zipfile.ZipInfo], archive_bytes: int) -> None:
    """Refuse unsafe paths and anything that would inflate too far, from the directory alone."""
    if len(infos) > MAX_MEMBERS:
        raise DatasetError(f"The archive holds {len(infos):,} files; the limit is {MAX_MEMBERS:,}. Upload fewer.")
    total = 0
    for info in infos:
        check_path(info.filename)
        if info.file_size > MAX_MEMBER_BYTES:
            raise DatasetError(f"{info.filename!r} unpacks to {info.file_size / 2**20:,.0f} MB; the limit per file "
                               f"is {MAX_MEMBER_BYTES // 2**20} MB. Shrink or remove it.")
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DatasetError(f"{info.filename!r} is compressed over {MAX_RATIO} times, as zip bombs are; "
                               "LayerLab refuses it. Zip the real files again.")
        total += info.file_size
    if total > MAX_TOTAL_BYTES or total > MAX_RATIO * max(archive_bytes, 1) + MAX_MEMBER_BYTES:
        raise DatasetError(f"The archive unpacks to {total / 2**20:,.0f} MB, more than LayerLab accepts "
                           f"({MAX_TOTAL_BYTES // 2**20} MB, or {MAX_RATIO} times its size): upload less.")


def check_path(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise DatasetError(f"The archive has an unsafe path {name!r} (it points outside the archive): zip the "
                           "class folders themselves, without absolute paths or '..'.")


def read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with z.open(info) as f:
        data = f.read(info.file_size + 1)  # never more than the header promised, plus one to catch a lie
    if len(data) != info.file_size:
        raise DatasetError(f"{info.filename!r} is not the size its header says: the archive is damaged or "
                           "crafted. Zip the files again.")
    return data


def image_members(z: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """Class name -> its image members. A single folder wrapping everything is looked through."""
    files = [i for i in z.infolist() if not i.is_dir() and not JUNK.search(i.filename)]
    if not files:
        raise DatasetError("The zip holds no files: put one folder of images per class in it.")
    paths = [i.filename.replace("\\", "/").split("/") for i in files]
    while all(len(p) >= 3 for p in paths) and len({p[0] for p in paths}) == 1:
        paths = [p[1:] for p in paths]  # a wrapper folder, e.g. the one the zip was made from
    classes = defaultdict(list)
    for info, parts in zip(files, paths):
        if len(parts) < 2:
            raise DatasetError(f"{info.filename!r} is not inside a class folder: put each image in a folder named "
                               "after its class (cat/1.png, dog/1.png).")
        if posixpath.splitext(parts[-1])[1].lower() not in IMAGE_EXTENSIONS:
            raise DatasetError(f"{info.filename!r} is not an image LayerLab reads "
                               f"({', '.join(sorted(e[1:] for e in IMAGE_EXTENSIONS))}): remove it from the zip.")
        classes[parts[0]].append(info)  # deeper folders belong to their top class folder
    return classes


def decode(data: bytes, name: str, options: UploadOptions) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise DatasetError(f"{name!r} is {im.width}x{im.height} pixels, too large to read: shrink it.")
            im = im.convert("L" if options.color == "grey" else "RGB")
            h, w = options.image_size
            im = im.resize((w, h), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DatasetError(f"{name!r} could not be read as an image (damaged, or not really an image): remove it "
                           "or save it again.") from None
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)  # channels first


def parse_zip(data: bytes, options: UploadOptions, name: str) -> Arrays:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetError("This .zip file could not be opened (it is damaged or not a zip): make it again with "
                           "one folder of images per class.") from None
    with z:
        check_members(z.infolist(), len(data))
        classes = image_members(z)
        channels = 1 if options.color == "grey" else 3
        count = sum(len(v) for v in classes.values())
        check_values(count * channels * options.image_size[0] * options.image_size[1],
                     f"{count:,} images of {channels}x{options.image_size[0]}x{options.image_size[1]}", options)
        need = count * channels * options.image_size[0] * options.image_size[1] * 4
        if need > MAX_OUTPUT_BYTES:
            raise DatasetError(f"{count:,} images at {channels}x{options.image_size[0]}x{options.image_size[1]} need "
                               f"{need / 2**30:.1f} GB: choose a smaller image_size or upload fewer images.")
        xs, labels = [], []
        for label in sorted(classes):
            for info in sorted(classes[label], key=lambda i: i.filename):
                xs.append(decode(read_member(z, info), info.filename, options))
                labels.append(label)
    y, names = classes_from_labels(np.array(labels))
    x_train, x_test, y_train, y_test = split(np.stack(xs), y, options, stratify=True)
    meta = {"kind": "image", "name": name, "source": "zip of class folders", "color": options.color}
    return finish(x_train, y_train, x_test, y_test, names, meta)
