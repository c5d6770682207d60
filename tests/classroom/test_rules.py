"""The lab's pure rules, as example programs."""
from datetime import datetime, timedelta, timezone

import pytest

from classroom.rules import LabLimits, check_deadline, check_lab_design, check_locked, parse_limits
from tests.classroom.conftest import LAB, design

SERVER = LabLimits(max_params=1000, max_epochs=50, max_runs=10, max_queued=2)


def test_a_locked_block_compares_with_defaults_filled_in():
    starter = LAB["starter"]
    assert check_locked(starter, design(logits={"params": {"out_features": 10, "bias": True}}), ["logits"]) == []
    changed = check_locked(starter, design(logits={"params": {"out_features": 12}}), ["logits"])
    assert changed[0]["fix"] == {"out_features": 10} and changed[0]["param"] == "out_features"
    assert check_locked(starter, design(logits={"type": "Dropout", "params": {}}), ["logits"])[0]["param"] == "type"
    assert check_locked(starter, "not a document", ["logits"])[0]["node"] == "logits"


def test_the_deadline_marks_late_or_refuses():
    now = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
    assert check_deadline(None, now, False) == (False, [])
    assert check_deadline(now + timedelta(seconds=1), now, False) == (False, [])
    assert check_deadline(now - timedelta(seconds=1), now, True) == (True, [])
    late, problems = check_deadline(now - timedelta(seconds=1), now, False)
    assert late and "2026-12-01 16:59" in problems[0]["message"]


def test_limits_default_to_the_servers_and_never_exceed_them():
    assert parse_limits(None, SERVER) == SERVER
    assert parse_limits({"max_epochs": 5}, SERVER).max_epochs == 5
    for bad in ({"max_epochs": 51}, {"max_runs": 0}, {"max_runs": True}, {"max_runs": 2.5}, {"other": 1}, [1]):
        with pytest.raises(ValueError):
            parse_limits(bad, SERVER)


def test_the_lab_design_names_what_is_wrong():
    assert check_lab_design(LAB["starter"], ["image"], None) == []
    assert check_lab_design(LAB["starter"], "image", ["Linear"]) == ["locked must be a list of node ids of the starter"]
    assert "'Nope'" in check_lab_design(LAB["starter"], [], ["Nope"])[0]
