"""A model trained on normalized uint8 images, downloaded, takes raw pixels and gives the same outputs."""
import io

import numpy as np
import onnxruntime
import torch

from builder.export import export_onnx, export_pytorch, export_torchscript
from builder.preprocess import Preprocess
from trainer.datasets import Arrays
from trainer.engine.job import build_job, raw_input_model

TINY_CNN = {
    "format": "layerlab.graph/1", "name": "tiny-cnn",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [3, 6, 6]}},
        {"id": "conv", "type": "Conv2d", "inputs": ["image"], "params": {"out_channels": 4, "kernel_size": 3,
                                                                          "activation": "relu"}},
        {"id": "flat", "type": "Flatten", "inputs": ["conv"]},
        {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 2}},
    ],
}


def pixels() -> Arrays:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(120, 3, 6, 6), dtype=np.uint8)
    y = (x[:, 0].mean(axis=(1, 2)) > 127).astype(np.int64)
    return Arrays(x[:100], y[:100], x[100:], y[100:], ["dark", "bright"], {"kind": "image", "name": "px"})


def trained():
    data = pixels()
    job = build_job(TINY_CNN, data, {"epochs": 2, "device": "cpu", "batch_size": 16})
    result = job.train()
    job.model.eval()
    # What training fed the model (tests/trainer/test_engine_inputs.py shows the engine's batches are this).
    norm = result["normalization"]
    mean, std = (torch.tensor(norm[k]).reshape(3, 1, 1) for k in ("mean", "std"))
    normalized = (torch.as_tensor(data.x_test).float() * (1 / 255) - mean) / std
    with torch.no_grad():
        want = job.model(normalized)
    return job, result, torch.as_tensor(data.x_test), want


def test_it_exports_source_that_takes_raw_pixels():
    job, result, raw, want = trained()
    norm = result["normalization"]
    assert norm["scale"] == 1 / 255 and len(norm["mean"]) == 3
    source = export_pytorch(job.graph, preprocess=norm)
    assert "image = (image.to(torch.float32) * 0.00392156862745098 - self.input_mean) / self.input_std" in source
    namespace = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    exported = namespace["TinyCnn"]().eval()
    exported.load_state_dict(job.model.state_dict())  # strict: the buffers are not in the state_dict
    with torch.no_grad():
        assert torch.equal(exported(raw), want)  # uint8 pixels
        assert torch.equal(exported(raw.float()), want)  # or pixels 0..255 as floats


def test_it_exports_onnx_and_torchscript_that_take_raw_pixels():
    job, result, raw, want = trained()
    model = raw_input_model(job.model, result["normalization"], 3).eval()
    scripted = torch.jit.load(io.BytesIO(export_torchscript(model, job.graph)))
    torch.testing.assert_close(scripted(raw.float()), want)
    session = onnxruntime.InferenceSession(export_onnx(model, job.graph))
    (out,) = session.run(None, {"image": raw.float().numpy()})
    np.testing.assert_allclose(out, want.numpy(), atol=1e-4)


def test_it_shows_the_run_page_samples_from_raw_inputs():
    job, result, raw, want = trained()
    predictions = [s["prediction"] for s in result["samples"]]
    assert predictions == want[:8].argmax(-1).tolist()


def test_it_leaves_the_source_alone_without_preprocessing():
    source = export_pytorch(TINY_CNN)
    assert "input_mean" not in source and "to(torch.float32)" not in source
    assert Preprocess({}, 3)(torch.ones(1, 3, 2, 2)).equal(torch.ones(1, 3, 2, 2))
