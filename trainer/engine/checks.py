"""Checks run before training starts: the settings, and the design against the dataset.

Every message says what is wrong and exactly what to change; a problem about the design carries
`fix`, the change the editor applies with one click. `trainer.engine` exports both checks.
"""
import math
from numbers import Real

import torch

OPTIMIZERS = ("sgd", "adam", "adamw")
LOSSES = ("cross_entropy", "mse")
DEVICES = ("auto", "cpu", "cuda")


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _in_range(name: str, value, low, high, whole: bool, low_open: bool = False) -> str | None:
    ok = _whole(value) if whole else _number(value)
    if ok and (value > low if low_open else value >= low) and value <= high:
        return None
    kind = "a whole number" if whole else "a number"
    span = f"above {low} and at most {high}" if low_open else f"from {low} to {high}"
    return f"{name} must be {kind} {span}, not {value!r}"


def _one_of(name: str, value, choices: tuple) -> str | None:
    if value in choices:
        return None
    return f"{name} must be one of {', '.join(choices)}, not {value!r}"


def check_config(config) -> list[str]:
    """Readable problems with a TrainConfig; empty when it is fine."""
    problems = [
        _in_range("epochs", config.epochs, 1, 500, whole=True),
        _in_range("batch_size", config.batch_size, 1, 65536, whole=True),
        _one_of("optimizer", config.optimizer, OPTIMIZERS),
        _in_range("lr (learning rate)", config.lr, 0, 10, whole=False, low_open=True),
        _in_range("weight_decay", config.weight_decay, 0, 1, whole=False),
        _in_range("momentum", config.momentum, 0, 1, whole=False),
        _one_of("loss", config.loss, LOSSES),
        _in_range("seed", config.seed, 0, 2**63 - 1, whole=True),
        _in_range("val_fraction", config.val_fraction, 0, 0.5, whole=False),
        _one_of("device", config.device, DEVICES),
    ]
    if config.device == "cuda" and not torch.cuda.is_available():
        problems.append("device 'cuda' was asked for but this worker has no CUDA GPU: choose auto or cpu")
    return [p for p in problems if p]


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
