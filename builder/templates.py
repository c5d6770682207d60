"""Starter designs: the classic networks a lesson begins from, one JSON file each in starters/."""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

STARTERS = Path(__file__).parent / "starters"
ORDER = ("cifar10-cnn", "lenet5", "digits-mlp", "mnist1d-cnn", "mnist1d-bigru", "lstm-text-classifier",
         "residual-block", "inception-block")  # simplest first, as a course would meet them


def starter_designs() -> list[dict]:
    """Every starter as {"slug", "name", "description", "document"}; a copy, so callers may edit it."""
    return copy.deepcopy(load())


@cache
def load() -> list[dict]:
    rank = {slug: i for i, slug in enumerate(ORDER)}
    slugs = sorted((p.stem for p in STARTERS.glob("*.json")), key=lambda slug: (rank.get(slug, len(ORDER)), slug))
    return [json.loads((STARTERS / f"{slug}.json").read_text(encoding="utf-8")) for slug in slugs]
