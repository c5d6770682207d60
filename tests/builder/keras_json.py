"""Keras model.to_json() documents written in code, in Keras 2 and Keras 3 form, for the importer's tests.

Keras 2: {"class_name", "config"}, the input shape as "batch_input_shape", Functional inbound nodes as
[[[name, 0, 0, {}]]]. Keras 3: {"module", "class_name", "config", "registered_name"}, "build_config",
"batch_shape", inbound nodes as {"args": [__keras_tensor__ ...], "kwargs": {}}.
"""
import copy
import json


def layer(cls: str, name: str, **config) -> dict:
    """A layer as (class, config), written out by keras2()/keras3()."""
    return {"cls": cls, "name": name, "config": config, "inputs": []}


def wired(spec: dict, *inputs: str) -> dict:
    return {**spec, "inputs": list(inputs)}


def k2_layer(spec: dict, functional: bool) -> dict:
    config = {"name": spec["name"], "trainable": True, "dtype": "float32", **copy.deepcopy(spec["config"])}
    if "layer" in config:
        config["layer"] = {"class_name": config["layer"]["cls"], "config": {"name": "inner", **config["layer"]["config"]}}
    out = {"class_name": spec["cls"], "config": config}
    if functional:
        out["name"] = spec["name"]
        out["inbound_nodes"] = [[[i, 0, 0, {}] for i in spec["inputs"]]] if spec["inputs"] else []
    return out


def k3_tensor(name: str) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32", "keras_history": [name, 0, 0]}}


def k3_layer(spec: dict, functional: bool) -> dict:
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    config = {"name": spec["name"], "trainable": True, "dtype": policy, **copy.deepcopy(spec["config"])}
    if "batch_input_shape" in config:
        config["batch_shape"] = config.pop("batch_input_shape")
    if "layer" in config:
        config["layer"] = {"module": "keras.layers", "class_name": config["layer"]["cls"],
                           "config": {"name": "inner", **config["layer"]["config"]}, "registered_name": None}
    out = {"module": "keras.layers", "class_name": spec["cls"], "config": config, "registered_name": None}
    if spec["cls"] != "InputLayer":
        out["build_config"] = {"input_shape": [None]}
    if functional:
        out["name"] = spec["name"]
        if not spec["inputs"]:
            out["inbound_nodes"] = []
        else:
            args = [k3_tensor(i) for i in spec["inputs"]]
            out["inbound_nodes"] = [{"args": [args] if len(args) > 1 else args, "kwargs": {}}]
    return out


def keras2(layers: list[dict], functional: bool = False, outputs: list[str] | None = None, name: str = "model") -> dict:
    config = {"name": name, "layers": [k2_layer(s, functional) for s in layers]}
    if functional:
        config["input_layers"] = [[s["name"], 0, 0] for s in layers if s["cls"] == "InputLayer"]
        config["output_layers"] = [[o, 0, 0] for o in (outputs or [layers[-1]["name"]])]
    return {"class_name": "Functional" if functional else "Sequential", "config": config,
            "keras_version": "2.15.0", "backend": "tensorflow"}


def keras3(layers: list[dict], functional: bool = False, outputs: list[str] | None = None, name: str = "model") -> dict:
    config = {"name": name, "trainable": True, "layers": [k3_layer(s, functional) for s in layers]}
    if functional:
        config["input_layers"] = [[s["name"], 0, 0] for s in layers if s["cls"] == "InputLayer"]
        outs = [[o, 0, 0] for o in (outputs or [layers[-1]["name"]])]
        config["output_layers"] = outs[0] if len(outs) == 1 else outs
    return {"module": "keras.src.models.functional" if functional else "keras", "class_name": "Functional" if functional else "Sequential",
            "config": config, "registered_name": "Functional" if functional else None, "build_config": {"input_shape": None}}


def both(layers, **kwargs):
    """(format name, JSON bytes) in each Keras format."""
    return [("keras2", json.dumps(keras2(layers, **kwargs)).encode()), ("keras3", json.dumps(keras3(layers, **kwargs)).encode())]


def tutorial_cnn() -> list[dict]:
    """The tutorial's CIFAR-10 CNN, as written in Keras: 122,570 parameters."""
    return [
        layer("InputLayer", "input_1", batch_input_shape=[None, 32, 32, 3]),
        layer("Conv2D", "conv2d", filters=32, kernel_size=[3, 3], activation="relu", padding="valid", strides=[1, 1]),
        layer("MaxPooling2D", "max_pooling2d", pool_size=[2, 2], strides=[2, 2], padding="valid"),
        layer("Conv2D", "conv2d_1", filters=64, kernel_size=[3, 3], activation="relu"),
        layer("MaxPooling2D", "max_pooling2d_1", pool_size=[2, 2]),
        layer("Conv2D", "conv2d_2", filters=64, kernel_size=[3, 3], activation="relu"),
        layer("Flatten", "flatten"),
        layer("Dense", "dense", units=64, activation="relu"),
        layer("Dense", "dense_1", units=10),
    ]
