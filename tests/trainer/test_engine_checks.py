"""Checks before training: each problem says exactly what to change, with a one-click fix."""
import numpy as np
import pytest

from trainer.datasets import Arrays
from trainer.engine import TrainConfig, check_input_matches


def test_it_accepts_the_defaults():
    assert TrainConfig().check() == []
    assert TrainConfig(epochs=500, batch_size=65536, lr=10, val_fraction=0.5, optimizer="sgd", device="cpu").check() == []


@pytest.mark.parametrize("field,value,words", [
    ("epochs", 0, ["epochs", "1 to 500", "not 0"]),
    ("epochs", 501, ["epochs", "501"]),
    ("epochs", "ten", ["epochs", "whole number", "'ten'"]),
    ("epochs", 2.5, ["epochs", "whole number"]),
    ("batch_size", 0, ["batch_size", "1 to 65536"]),
    ("batch_size", 70000, ["batch_size"]),
    ("optimizer", "rmsprop", ["optimizer", "sgd, adam, adamw", "'rmsprop'"]),
    ("lr", 0, ["lr", "above 0", "at most 10"]),
    ("lr", -1, ["lr", "not -1"]),
    ("lr", 11, ["lr"]),
    ("lr", float("nan"), ["lr"]),
    ("val_fraction", 0.9, ["val_fraction", "0 to 0.5"]),
    ("val_fraction", -0.1, ["val_fraction"]),
    ("loss", "hinge", ["loss", "cross_entropy, mse"]),
    ("device", "tpu", ["device", "auto, cpu, cuda"]),
    ("momentum", 1.5, ["momentum"]),
    ("weight_decay", -1, ["weight_decay"]),
    ("seed", -1, ["seed"]),
])
def test_it_names_each_bad_setting(field, value, words):
    [problem] = TrainConfig(**{field: value}).check()
    for word in words:
        assert word in problem


def test_it_says_when_cuda_is_asked_for_but_absent():
    import torch

    problems = TrainConfig(device="cuda").check()
    assert problems == ([] if torch.cuda.is_available() else
                        ["device 'cuda' was asked for but this worker has no CUDA GPU: choose auto or cpu"])


def test_it_tells_exactly_how_to_fix_an_input_shape(digits):
    [p] = check_input_matches({"image": [3, 32, 32]}, {"image": "float32"}, digits, "cross_entropy")
    assert p["message"] == "Input 'image' expects [3, 32, 32] but digits gives [1, 8, 8]: set its shape to [1, 8, 8]"
    assert p["node"] == "image" and p["fix"] == {"shape": [1, 8, 8], "dtype": "float32"}


def test_it_passes_a_design_that_fits(digits):
    assert check_input_matches({"image": [1, 8, 8]}, {"image": "float32"}, digits, "cross_entropy",
                               output_shape=[10]) == []


def test_it_tells_how_to_fix_a_dtype():
    tokens = Arrays(np.ones((4, 16), np.int64), np.array([0, 1, 0, 1]), np.ones((2, 16), np.int64), np.array([0, 1]),
                    ["neg", "pos"], {"name": "reviews", "kind": "tokens"})
    [p] = check_input_matches({"text": [16]}, {"text": "float32"}, tokens, "cross_entropy")
    assert p["message"] == "Input 'text' is float32 but reviews holds token ids (int64): set its dtype to int64"
    assert p["fix"] == {"shape": [16], "dtype": "int64"}


def test_it_says_when_the_last_layer_has_the_wrong_size(digits):
    [p] = check_input_matches({"image": [1, 8, 8]}, {"image": "float32"}, digits, "cross_entropy",
                              output_shape=[7], output_node="logits")
    assert p["message"] == "the last layer gives 7 values but digits has 10 classes: set out_features to 10"
    assert p["node"] == "logits" and p["fix"] == {"out_features": 10}


def test_it_says_when_the_output_is_not_flat(digits):
    [p] = check_input_matches({"image": [1, 8, 8]}, {"image": "float32"}, digits, "cross_entropy",
                              output_shape=[8, 10])
    assert "[8, 10]" in p["message"] and "Flatten" in p["message"]


def test_it_uses_the_first_of_several_outputs(digits):
    assert check_input_matches({"image": [1, 8, 8]}, {}, digits, "cross_entropy", output_shape=[[10], [3]]) == []


def test_it_refuses_several_inputs_for_a_one_input_dataset(digits):
    problems = check_input_matches({"a": [1, 8, 8], "b": [1, 8, 8]}, {}, digits, "cross_entropy")
    assert len(problems) == 1
    assert problems[0]["message"].startswith("The design has 2 Inputs ('a', 'b') but digits gives one input")


def test_it_refuses_cross_entropy_on_a_regression_dataset():
    reg = Arrays(np.ones((4, 3), np.float32), np.array([0.5, 1.5, 2.5, 3.5]), np.ones((1, 3), np.float32),
                 np.array([1.0]), [], {"name": "prices"})
    [p] = check_input_matches({"x": [3]}, {"x": "float32"}, reg, "cross_entropy")
    assert "cross_entropy needs class labels but prices" in p["message"] and "mse" in p["message"]
    assert p["fix"] == {"loss": "mse"}
    [p] = check_input_matches({"x": [3]}, {"x": "float32"}, reg, "mse", output_shape=[4])
    assert p["message"] == "the last layer gives 4 values but prices has 1 target per sample: set out_features to 1"
    assert check_input_matches({"x": [3]}, {"x": "float32"}, reg, "mse", output_shape=[1]) == []
