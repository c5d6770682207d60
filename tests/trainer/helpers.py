"""Upload files made in the tests: npz bytes, csv text, zips of PIL images."""
import io
import zipfile

import numpy as np
from PIL import Image


def npz_file(compressed: bool = False, **arrays) -> io.BytesIO:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    buf.seek(0)
    return buf


def png(value: int, size=(12, 10), mode="L") -> bytes:
    buf = io.BytesIO()
    color = value if mode == "L" else (value, 255 - value, 30)
    Image.new(mode, size, color=color).save(buf, "PNG")
    return buf.getvalue()


def zip_file(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    buf.seek(0)
    return buf


def image_folders(classes=("circle", "square"), per_class: int = 6, prefix: str = "", mode="L") -> dict:
    return {f"{prefix}{label}/{i}.png": png(20 * i + 100 * k, mode=mode)
            for k, label in enumerate(classes) for i in range(per_class)}
