"""One declaration of the training settings: TrainConfig, its checks and the job all read it."""
import dataclasses

import numpy as np
import pytest

from builder.document import Limits
from trainer.datasets import Arrays
from trainer.engine import TrainConfig
from trainer.engine.checks import check_config, check_data_settings
from trainer.engine.job import JobError, build_job, check_job, config_from
from trainer.engine.settings import SETTINGS, catalogue

DIGITS_MLP = {
    "format": "layerlab.graph/1", "name": "digits-mlp",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "flat", "type": "Flatten", "inputs": ["image"]},
        {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}},
    ],
}


def test_it_makes_train_config_from_the_declaration():
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    assert names == list(SETTINGS) + ["output_is_probability"]
    config = TrainConfig()
    assert config.optimizer == "adam" and config.lr_schedule == "constant" and config.normalize == "auto"
    assert config.augment_crop == 0 and config.augment_flip is False and config.grad_clip == 0.0


@pytest.mark.parametrize("field,value,message", [
    ("lr_schedule", "linear", "lr_schedule must be one of constant, step, cosine, onecycle, not 'linear'"),
    ("lr_step_epochs", 0, "lr_step_epochs must be a whole number from 1 to 10000, not 0"),
    ("lr_gamma", 0, "lr_gamma must be a number above 0 and at most 1, not 0"),
    ("early_stop_patience", -1, "early_stop_patience must be a whole number from 0 to 10000, not -1"),
    ("grad_clip", float("inf"), "grad_clip must be a number from 0 to 1000000.0, not inf"),
    ("normalize", True, "normalize must be one of auto, on, off, not True"),
    ("augment_crop", 65, "augment_crop must be a whole number from 0 to 64, not 65"),
    ("augment_flip", "yes", "augment_flip must be true or false, not 'yes'"),
])
def test_it_words_each_bad_new_setting(field, value, message):
    assert TrainConfig(**{field: value}).check() == [message]


def test_it_takes_the_epoch_limit_from_the_server():
    assert check_config(TrainConfig(epochs=20), max_epochs=10) == ["epochs must be a whole number from 1 to 10, not 20"]
    assert check_config(TrainConfig(epochs=900), max_epochs=1000) == []
    [epochs] = [s for s in catalogue(max_epochs=42) if s["name"] == "epochs"]
    assert epochs["high"] == 42 and epochs["default"] == 10 and epochs["help"]


def test_it_serves_every_setting_with_its_kind_and_limits():
    served = {s["name"]: s for s in catalogue()}
    assert list(served) == list(SETTINGS)
    assert served["optimizer"]["choices"] == ["sgd", "adam", "adamw"]
    assert served["lr_schedule"]["choices"] == ["constant", "step", "cosine", "onecycle"]
    assert served["augment_flip"]["kind"] == "bool" and served["augment_flip"]["applies_to"] == "image"
    assert served["lr"]["low_open"] is True


def test_it_needs_a_validation_split_for_early_stopping():
    assert TrainConfig(early_stop_patience=3, val_fraction=0).check() == [
        "early_stop_patience watches the validation loss, but val_fraction is 0: set val_fraction above 0 or "
        "early_stop_patience to 0"]


def test_it_augments_only_images_and_normalizes_only_numbers():
    tokens = Arrays(np.ones((4, 16), np.int64), np.array([0, 1, 0, 1]), np.ones((2, 16), np.int64),
                    np.array([0, 1]), ["neg", "pos"], {"name": "reviews", "kind": "tokens"})
    crop, norm = check_data_settings(TrainConfig(augment_crop=4, normalize="on"), tokens)
    assert crop["message"].startswith("augment_crop and augment_flip apply to images ([C, H, W] samples) but "
                                      "reviews gives [16]")
    assert crop["fix"] == {"augment_crop": 0, "augment_flip": False}
    assert norm["message"] == "reviews holds token ids, which cannot be normalized: set normalize to auto or off"


def test_it_takes_uint8_pixels_for_a_float32_input():
    from trainer.engine import check_input_matches

    pixels = Arrays(np.zeros((4, 1, 8, 8), np.uint8), np.array([0, 1, 0, 1]), np.zeros((2, 1, 8, 8), np.uint8),
                    np.array([0, 1]), ["a", "b"], {"name": "px", "kind": "image"})
    assert pixels.dtype == "float32"  # what the dataset listing tells the editor
    assert check_input_matches({"image": [1, 8, 8]}, {"image": "float32"}, pixels, "cross_entropy",
                               output_shape=[2]) == []


def test_it_keeps_only_declared_settings_from_the_options():
    config = config_from({"epochs": 2, "lab": 7, "output_is_probability": True})
    assert config.epochs == 2 and config.output_is_probability is False


def test_it_checks_the_run_against_the_limits_given(digits):
    with pytest.raises(JobError) as caught:
        check_job(DIGITS_MLP, digits, {"epochs": 30}, Limits(max_epochs=20))
    assert [p["message"] for p in caught.value.problems] == ["epochs must be a whole number from 1 to 20, not 30"]
    config, notes = check_job(DIGITS_MLP, digits, {"epochs": 30}, Limits(max_epochs=30))
    assert config.epochs == 30 and notes == []


def test_it_reports_every_problem_of_a_bad_design_once(digits):
    with pytest.raises(JobError) as caught:
        check_job({"format": "layerlab.graph/1", "name": "x", "nodes": "no"}, digits, {}, Limits())
    assert [p["message"] for p in caught.value.problems] == ['"nodes" must be a list of nodes']


def test_it_builds_a_job_on_the_checked_graph(digits):
    job = build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu"})
    assert [n.id for n in job.graph.nodes] == ["image", "flat", "logits"]
    assert set(job.model.state_dict()) == {"logits.weight", "logits.bias"}


def test_it_refuses_a_checkpoint_of_another_design(digits):
    job = build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu"})
    states = []
    job.train(on_checkpoint=states.append)
    other = dict(DIGITS_MLP, nodes=DIGITS_MLP["nodes"][:2] + [
        {"id": "out", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}}])
    with pytest.raises(JobError) as caught:
        build_job(other, digits, {"epochs": 1, "device": "cpu"}, resume_from=states[-1])
    assert "the checkpoint's weights do not fit this design" in caught.value.problems[0]["message"]
    with pytest.raises(JobError):
        build_job(DIGITS_MLP, digits, {"epochs": 1}, resume_from={"model": {}})
    resumed = build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu"}, resume_from=states[-1])
    assert resumed.train()["epochs"] == 2


def test_it_parses_the_design_once_per_job(digits, monkeypatch):
    import builder.compile
    import builder.summary
    import trainer.engine.job
    from builder.document import check_document

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return check_document(*args, **kwargs)

    for module in (trainer.engine.job, builder.summary, builder.compile):
        monkeypatch.setattr(module, "check_document", counted)
    build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu"})
    assert len(calls) == 1


def test_it_refuses_a_checkpoint_of_another_split(digits):
    job = build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu", "lr_schedule": "onecycle", "seed": 1})
    states = []
    job.train(on_checkpoint=states.append)
    with pytest.raises(JobError) as caught:
        build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu", "lr_schedule": "onecycle", "seed": 2}, resume_from=states[-1])
    assert caught.value.problems[0]["message"].startswith("the checkpoint was trained on another split of the data")
    assert build_job(DIGITS_MLP, digits, {"epochs": 1, "device": "cpu", "lr_schedule": "onecycle", "seed": 1, "batch_size": 32},
                     resume_from=states[-1]).train()["epochs"] == 2  # a new batch size is a new plan, not a crash
