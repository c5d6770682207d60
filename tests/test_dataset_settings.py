"""The dataset download settings: a bad mirror or checksum table stops the start naming the
variable; `manage.py datasets fetch` draws its progress bar in place on a terminal."""
import json
import os
import pty
import subprocess
import sys

import pytest

from tests.origins import Origin, originals, write_mirror
from tests.test_settings import ROOT, start_django


@pytest.mark.parametrize("name,value", [
    ("LAYERLAB_DATASET_MIRROR", "/no/such/folder"), ("LAYERLAB_DATASET_MIRROR", "ftp://mirror.example/x"),
    ("LAYERLAB_DATASET_INTERNET", "sometimes"), ("LAYERLAB_DATASET_CHECKSUMS", "/no/such/file.json"),
])
def test_it_fails_at_start_naming_a_bad_dataset_setting(name, value):
    result = start_django(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_it_refuses_a_checksum_table_that_is_not_md5_strings(tmp_path):
    path = tmp_path / "sums.json"
    path.write_text(json.dumps({"mnist/train-images-idx3-ubyte.gz": 5}))
    result = start_django(LAYERLAB_DATASET_CHECKSUMS=str(path))
    assert result.returncode != 0 and "must hold an object of md5 strings" in result.stderr


def test_it_accepts_a_mirror_folder_or_url(tmp_path):
    assert start_django(LAYERLAB_DATASET_MIRROR=str(tmp_path)).returncode == 0
    assert start_django(LAYERLAB_DATASET_MIRROR="https://mirror.example/layerlab/").returncode == 0


def test_it_draws_the_fetch_progress_in_place_on_a_terminal(tmp_path):
    root = tmp_path / "mirror"
    sums = tmp_path / "sums.json"
    sums.write_text(json.dumps(write_mirror(root, originals())))
    with Origin(root, delay=0.02, chunk=1024) as origin:
        env = dict(os.environ, LAYERLAB_DATA_DIR=str(tmp_path), LAYERLAB_DATASET_CACHE=str(tmp_path / "cache"),
                   LAYERLAB_DATASET_MIRROR=origin.url, LAYERLAB_DATASET_INTERNET="false",
                   LAYERLAB_DATASET_CHECKSUMS=str(sums))
        leader, follower = pty.openpty()
        proc = subprocess.Popen([sys.executable, "manage.py", "datasets", "fetch", "cifar10"], cwd=ROOT, env=env,
                                stdout=follower, stderr=follower, stdin=subprocess.DEVNULL)
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the program ended and closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        assert proc.wait(60) == 0, screen.decode(errors="replace")
        os.close(leader)
    text = screen.decode()
    frames = [f for f in text.split("\r") if f.startswith("cifar10")]
    assert len(frames) >= 3, text  # redrawn in place, not one line per update
    assert "[#########################] 100%" in frames[-1] and text.rstrip().endswith("cifar10: ready")
    assert any(" 0%" not in f and "100%" not in f for f in frames), frames  # partway through
