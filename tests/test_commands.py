"""manage.py graph summary/export and manage.py train, run as a user runs them."""
import json
import os
import subprocess
import sys

import onnx

from tests.api.conftest import DIGITS_MLP, SPEC_EXAMPLE
from tests.live import ROOT


def manage(*args, stdin: str | None = None, tmp_path=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if tmp_path is not None:
        env["LAYERLAB_DATA_DIR"] = str(tmp_path)
        env["LAYERLAB_DATASET_CACHE"] = str(ROOT / "var" / "datasets-cache")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=300, env=env)


def test_it_prints_the_summary_of_a_document_from_stdin():
    result = manage("graph", "summary", "-", stdin=json.dumps(SPEC_EXAMPLE))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["valid"] and summary["nodes"]["conv1"]["output_shape"] == [32, 30, 30]


def test_it_exits_1_without_a_traceback_for_an_invalid_document(tmp_path):
    doc = dict(SPEC_EXAMPLE, nodes=SPEC_EXAMPLE["nodes"][:1] + [dict(SPEC_EXAMPLE["nodes"][1], type="Conv3d")])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    result = manage("graph", "summary", str(path))
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"][0]["node"] == "conv1"
    assert "Traceback" not in result.stderr


def test_it_explains_a_file_that_is_missing_or_not_json(tmp_path):
    missing = manage("graph", "summary", str(tmp_path / "nope.json"))
    assert missing.returncode != 0 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    (tmp_path / "x.json").write_text("{oops")
    broken = manage("graph", "summary", str(tmp_path / "x.json"))
    assert broken.returncode != 0 and "not JSON" in broken.stderr and "Traceback" not in broken.stderr


def test_it_exports_pytorch_onnx_and_torchscript(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps(SPEC_EXAMPLE))
    code = manage("graph", "export", str(tmp_path / "d.json"), "--to", "pytorch")
    assert code.returncode == 0 and "class SeedCnn(nn.Module)" in code.stdout
    out = tmp_path / "d.onnx"
    assert manage("graph", "export", str(tmp_path / "d.json"), "--to", "onnx", "-o", str(out)).returncode == 0
    onnx.checker.check_model(onnx.load(str(out)))
    ts = tmp_path / "d.pt"
    assert manage("graph", "export", str(tmp_path / "d.json"), "--to", "torchscript", "-o", str(ts)).returncode == 0
    assert ts.stat().st_size > 1000
    pt2 = tmp_path / "d.pt2"
    result = manage("graph", "export", str(tmp_path / "d.json"), "--to", "pt2", "-o", str(pt2))
    assert result.returncode == 0 and "deprecated" not in result.stderr
    import torch

    assert torch.export.load(str(pt2)).module()(torch.zeros(3, 3, 32, 32)).shape == (3, 10)
    refused = manage("graph", "export", str(tmp_path / "d.json"), "--to", "onnx")
    assert refused.returncode != 0 and "-o" in refused.stderr


def test_it_trains_in_process_and_prints_a_json_result_last(tmp_path):
    (tmp_path / "mlp.json").write_text(json.dumps(DIGITS_MLP))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True,
                   env=dict(os.environ, LAYERLAB_DATA_DIR=str(tmp_path)))
    result = manage("train", str(tmp_path / "mlp.json"), "--dataset", "digits", "--epochs", "3", "--batch-size", "32",
                    "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(line) >= {"test_accuracy", "test_loss", "epochs", "seconds", "samples_per_s"}
    assert line["test_accuracy"] > 0.5 and line["epochs"] == 3
    assert "epoch 3" in result.stderr  # progress goes to the terminal, the JSON stays alone on stdout


def test_it_says_what_to_change_when_the_input_does_not_fit(tmp_path):
    (tmp_path / "cnn.json").write_text(json.dumps(SPEC_EXAMPLE))
    result = manage("train", str(tmp_path / "cnn.json"), "--dataset", "digits", "--epochs", "1", tmp_path=tmp_path)
    assert result.returncode == 1 and "[1, 8, 8]" in result.stderr and "Traceback" not in result.stderr


def test_it_imports_a_keras_json_to_stdout_with_the_report_on_stderr(tmp_path):
    from tests.builder.keras_json import keras3, tutorial_cnn

    path = tmp_path / "cnn.json"
    path.write_text(json.dumps(keras3(tutorial_cnn())))
    result = manage("graph", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["nodes"][1]["id"] == "conv2d"
    assert json.loads(result.stderr)["params"] == 122_570


def test_it_imports_onnx_to_a_file_with_its_weights(tmp_path):
    import torch
    from safetensors.torch import load_file

    from builder.compile import compile_graph
    from builder.export import export_onnx

    model = compile_graph(SPEC_EXAMPLE)
    (tmp_path / "m.onnx").write_bytes(export_onnx(model, SPEC_EXAMPLE))
    result = manage("graph", "import", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "d.json"),
                    "--weights", str(tmp_path / "w.safetensors"))
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "d.json").read_text())["nodes"] == SPEC_EXAMPLE["nodes"]
    weights = load_file(str(tmp_path / "w.safetensors"))
    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())


def test_it_exits_1_with_the_reason_when_nothing_can_be_imported(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x00\x01 not a model")
    result = manage("graph", "import", str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert "readable ONNX model" in result.stderr and "Traceback" not in result.stderr


def test_it_offers_every_training_setting_as_a_flag(tmp_path):
    from trainer.engine.settings import SETTINGS

    result = manage("train", "--help")
    assert result.returncode == 0, result.stderr
    for name in SETTINGS:
        assert "--" + name.replace("_", "-") in result.stdout
    assert "--no-augment-flip" in result.stdout and "rmsprop" not in result.stdout
    bad = manage("train", "-", "--dataset", "digits", "--lr-schedule", "linear")
    assert bad.returncode != 0 and "invalid choice: 'linear'" in bad.stderr
