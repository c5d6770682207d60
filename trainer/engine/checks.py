"""Checks run before training starts: the settings, and the design against the dataset.

Every message says what is wrong and exactly what to change; a problem about the design carries
`fix`, the change the editor applies with one click. `trainer.engine` exports both checks.
"""
import math

import torch

from .settings import MAX_EPOCHS, check_settings

def check_config(config, max_epochs: int = MAX_EPOCHS) -> list[str]:
    """Readable problems with a TrainConfig; empty when it is fine."""
    problems = check_settings(config, max_epochs)
    if config.device == "cuda" and not torch.cuda.is_available():
        problems.append("device 'cuda' was asked for but this worker has no CUDA GPU: choose auto or cpu")
    if config.early_stop_patience and not config.val_fraction:
        problems.append("early_stop_patience watches the validation loss, but val_fraction is 0: "
                        "set val_fraction above 0 or early_stop_patience to 0")
    return problems


def check_data_settings(config, arrays) -> list[dict]:
    """Settings that need a kind of data: augmentation needs images, normalization numbers."""
    name = _dataset_name(arrays)
    problems = []
    if (config.augment_crop or config.augment_flip) and len(arrays.input_shape) != 3:
        problems.append(_problem(None, "augment_crop", f"augment_crop and augment_flip apply to images ([C, H, W] "
                                 f"samples) but {name} gives {arrays.input_shape}: set augment_crop to 0 and "
                                 "augment_flip off", {"augment_crop": 0, "augment_flip": False}))
    if config.normalize == "on" and arrays.dtype == "int64":
        problems.append(_problem(None, "normalize", f"{name} holds token ids, which cannot be normalized: "
                                 "set normalize to auto or off", {"normalize": "auto"}))
    return problems


def _problem(node, param, message: str, fix: dict | None) -> dict:
    return {"node": node, "param": param, "message": message, "fix": fix}


def _dataset_name(arrays) -> str:
    return arrays.meta.get("name") or "the dataset"


def check_input_matches(input_shapes: dict[str, list[int]], input_dtypes: dict[str, str], arrays, loss: str,
                        output_shape=None, output_node: str | None = None) -> list[dict]:
    """Problems between a design's Inputs and output and the dataset, each
    {"node", "param", "message", "fix"}; empty when they fit."""
    name = _dataset_name(arrays)
    problems = []
    if len(input_shapes) > 1:
        ids = ", ".join(repr(i) for i in input_shapes)
        problems.append(_problem(None, None, f"The design has {len(input_shapes)} Inputs ({ids}) but {name} gives "
                                 "one input per sample: keep one Input and remove the others", None))
    for node, shape in list(input_shapes.items())[:1]:
        problems += _check_input(node, list(shape), input_dtypes.get(node, "float32"), arrays, name)
    if loss == "cross_entropy" and not arrays.num_classes:
        problems.append(_problem(None, "loss", f"cross_entropy needs class labels but {name} has numeric targets "
                                 "(regression): choose the mse loss", {"loss": "mse"}))
    elif output_shape is not None:
        problems += _check_output(_first_shape(output_shape), arrays, loss, name, output_node)
    return problems


def _check_input(node: str, shape: list, dtype: str, arrays, name: str) -> list[dict]:
    want_shape, want_dtype = arrays.input_shape, arrays.dtype
    if shape == want_shape and dtype == want_dtype:
        return []
    changes, said = [], []
    if shape != want_shape:
        said.append(f"expects {shape} but {name} gives {want_shape}")
        changes.append(f"set its shape to {want_shape}")
    if dtype != want_dtype:
        what = "token ids (int64)" if want_dtype == "int64" else "float32 values"
        said.append(f"is {dtype} but {name} holds {what}")
        changes.append(f"set its dtype to {want_dtype}")
    message = f"Input '{node}' {' and '.join(said)}: {' and '.join(changes)}"
    return [_problem(node, "shape" if shape != want_shape else "dtype", message,
                     {"shape": want_shape, "dtype": want_dtype})]


def _first_shape(output_shape) -> list:
    """Several outputs give a list of shapes; training uses the first."""
    if output_shape and isinstance(output_shape[0], (list, tuple)):
        return list(output_shape[0])
    return list(output_shape)


def _check_output(shape: list, arrays, loss: str, name: str, node) -> list[dict]:
    values = math.prod(shape)
    if arrays.num_classes:
        k = arrays.num_classes
        if len(shape) != 1:
            return [_problem(node, None, f"the design's output is {shape} per sample but {loss} on {name} needs one "
                             f"score per class, [{k}]: add a Flatten and a Linear with out_features {k} at the end",
                             None)]
        if values == k or (loss == "mse" and values == 1):
            return []
        return [_problem(node, "out_features", f"the last layer gives {values} values but {name} has {k} classes: "
                         f"set out_features to {k}", {"out_features": k})]
    want = math.prod(arrays.y_train.shape[1:])
    if values == want:
        return []
    unit = "target" if want == 1 else "targets"
    return [_problem(node, "out_features", f"the last layer gives {values} values but {name} has {want} {unit} per "
                     f"sample: set out_features to {want}", {"out_features": want})]
