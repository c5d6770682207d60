"""Uploads through the API: stored for their owner only, bad files answered with a 400 that says why."""
import io
import zipfile

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def upload(client, name: str, content: bytes, **options):
    return client.post("/api/datasets/", {"name": "mine", "file": SimpleUploadedFile(name, content), **options},
                       format="multipart")


def test_it_lists_the_built_ins_with_their_shapes(alice):
    listed = {d["id"]: d for d in alice.get("/api/datasets/").json()}
    assert listed["digits"]["input_shape"] == [1, 8, 8] and listed["digits"]["num_classes"] == 10
    assert listed["digits-rows"]["input_shape"] == [8, 8]
    assert listed["mnist1d"]["input_shape"] == [1, 40] and listed["mnist1d"]["train_size"] == 4000
    assert listed["mnist1d-seq"]["input_shape"] == [40, 1] and listed["mnist1d-seq"]["test_size"] == 1000


def test_it_uploads_an_npz_for_its_owner_only(alice, bob):
    rng = np.random.default_rng(0)
    r = upload(alice, "blobs.npz", npz_bytes(x=rng.normal(size=(60, 5)).astype("float32"), y=np.arange(60) % 3))
    assert r.status_code == 201, r.content
    ds = r.json()
    assert ds["input_shape"] == [5] and ds["num_classes"] == 3 and ds["train_size"] + ds["test_size"] == 60
    assert any(d["id"] == ds["id"] for d in alice.get("/api/datasets/").json())
    assert not any(d["id"] == ds["id"] for d in bob.get("/api/datasets/").json())
    preview = alice.get(f"/api/datasets/{ds['id']}/preview/").json()
    assert sum(preview["class_counts"].values()) == ds["train_size"]
    assert bob.get(f"/api/datasets/{ds['id']}/preview/").status_code == 404
    assert bob.delete(f"/api/datasets/{ds['id']}/").status_code == 404


def test_it_uploads_csv_and_image_zips(alice):
    rows = "a,b,label\n" + "".join(f"{i},{i * 2},{'cat' if i % 2 else 'dog'}\n" for i in range(40))
    r = upload(alice, "pets.csv", rows.encode())
    assert r.status_code == 201 and r.json()["input_shape"] == [2], r.content
    buf = io.BytesIO()
    from PIL import Image

    with zipfile.ZipFile(buf, "w") as z:
        for label in ("circle", "square"):
            for i in range(6):
                img = io.BytesIO()
                Image.new("L", (12, 12), color=40 * i).save(img, "PNG")
                z.writestr(f"{label}/{i}.png", img.getvalue())
    r = upload(alice, "shapes.zip", buf.getvalue(), image_size="16", color="grey")
    assert r.status_code == 201 and r.json()["input_shape"] == [1, 16, 16], r.content


@pytest.mark.parametrize("name,content,word", [
    ("x.npz", b"this is not a zip file", "npz"),
    ("x.csv", b"", "empty"),
    ("x.csv", b"a,label\n1,x\n2,x\n3,x\n", "class"),
    ("x.csv", b"a,label\n1,x\nfoo,y\n", "number"),
    ("x.exe", b"MZ", "format"),
])
def test_it_explains_a_bad_upload_and_keeps_nothing(alice, name, content, word, settings):
    r = upload(alice, name, content)
    assert r.status_code == 400, r.content
    assert word in r.json()["detail"].lower()
    assert all(d["builtin"] for d in alice.get("/api/datasets/").json())
    assert not list(settings.MEDIA_ROOT.rglob("*.*"))


def test_it_asks_for_a_file(alice):
    r = alice.post("/api/datasets/", {"name": "nothing"}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()["detail"]


def test_it_refuses_a_file_over_the_upload_limit(alice, settings):
    settings.LAYERLAB_MAX_UPLOAD_MB = 1
    r = upload(alice, "big.csv", b"a,label\n" + b"1,x\n2,y\n" * 200_000)
    assert r.status_code == 413 and "the limit here is 1 MB" in r.json()["detail"]  # refused from Content-Length
    assert not list(settings.MEDIA_ROOT.rglob("*.*"))


def test_it_applies_the_dataset_values_setting_to_uploads(alice, settings):
    settings.LAYERLAB_MAX_DATASET_VALUES = 1000
    x = np.zeros((100, 10), np.float32)
    r = upload(alice, "big.npz", npz_bytes(x=x, y=np.arange(100) % 2))
    assert r.status_code == 400
    assert r.json()["detail"].startswith("The arrays (x [100, 10], y [100]) make 1,100 values; LayerLab takes at most "
                                         "1,000 per dataset (LAYERLAB_MAX_DATASET_VALUES)")
    assert all(d["builtin"] for d in alice.get("/api/datasets/").json())  # nothing stored
    settings.LAYERLAB_MAX_DATASET_VALUES = 1100
    assert upload(alice, "big.npz", npz_bytes(x=x, y=np.arange(100) % 2)).status_code == 201


def test_it_trains_a_preview_and_lists_an_upload_of_narrow_token_ids(alice):
    rows = "text,label\n" + "".join(f"word{i % 7} and more,{i % 2}\n" for i in range(60))
    r = upload(alice, "t.csv", rows.encode(), text_column="text", seq_len=6)
    assert r.status_code == 201, r.content
    assert r.json()["dtype"] == "int64" and r.json()["input_shape"] == [6]
    preview = alice.get(f"/api/datasets/{r.json()['id']}/preview/").json()
    tokens = preview["samples"][0]["tokens"]
    assert tokens[0].startswith("word") and tokens[1:] == ["and", "more"]
