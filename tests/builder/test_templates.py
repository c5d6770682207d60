import json

from builder.summary import summarize
from builder.templates import STARTERS, starter_designs

EXPECTED = {"cifar10-cnn", "lenet5", "digits-mlp", "mnist1d-cnn", "mnist1d-bigru", "lstm-text-classifier",
            "residual-block", "inception-block"}


def test_it_offers_every_starter_as_a_valid_design():
    starters = starter_designs()
    assert {s["slug"] for s in starters} == EXPECTED and len(starters) == len(list(STARTERS.glob("*.json")))
    for starter in starters:
        assert set(starter) == {"slug", "name", "description", "document"}
        summary = summarize(starter["document"])
        assert summary["valid"], (starter["slug"], summary["errors"])
        assert all({"x", "y"} <= set(n["ui"]) for n in starter["document"]["nodes"]), starter["slug"]
        json.dumps(starter)


def test_it_has_the_shapes_each_lesson_needs():
    by_slug = {s["slug"]: summarize(s["document"]) for s in starter_designs()}
    assert by_slug["cifar10-cnn"]["params"] == 122570
    assert by_slug["digits-mlp"]["input_shapes"] == {"image": [1, 8, 8]}
    assert by_slug["mnist1d-cnn"]["input_shapes"] == {"signal": [1, 40]}
    assert by_slug["mnist1d-bigru"]["input_shapes"] == {"steps": [40, 1]}
    assert by_slug["lstm-text-classifier"]["nodes"]["tokens"]["dtype"] == "int64"


def test_it_hands_out_copies():
    starter_designs()[0]["document"]["nodes"].clear()
    assert starter_designs()[0]["document"]["nodes"]
