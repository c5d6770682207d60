"""What every importer shares: the refusal, the result, size and depth bounds, and ids."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import torch

from ..document import Limits, check_id
from ..summary import summarize


class ImportRefused(Exception):
    """A file that cannot become a design; the message names what and why in one sentence."""


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 100 * 1024 * 1024  # ONNX weights; JSON is held to max_json_bytes
    max_json_bytes: int = 5 * 1024 * 1024
    max_depth: int = 64
    graph: Limits = Limits()


@dataclass
class Imported:
    document: dict
    report: dict
    weights: dict[str, torch.Tensor] | None = field(default=None, repr=False)


def check_size(data: bytes, limits: ImportLimits) -> None:
    if not data:
        raise ImportRefused("the file is empty")
    if len(data) > limits.max_bytes:
        raise ImportRefused(f"the file is {len(data):,} bytes, more than the limit of {limits.max_bytes:,}")


def load_json(data: bytes, limits: ImportLimits) -> object:
    """JSON, bounded in size and nesting before the parser sees it (json.loads recurses)."""
    if len(data) > limits.max_json_bytes:
        raise ImportRefused(f"the JSON file is {len(data):,} bytes, more than the limit of {limits.max_json_bytes:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused("the file is not UTF-8 text, so it is not JSON") from None
    if nesting(text) > limits.max_depth:
        raise ImportRefused(f"the JSON is nested more than {limits.max_depth} levels deep")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ImportRefused(f"the file is not valid JSON{where}") from None


def nesting(text: str) -> int:
    """The deepest bracket nesting outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


class Ids:
    """Node ids: the source's own name where it is a valid id, else a cleaned-up one; never twice."""

    def __init__(self):
        self.taken: set[str] = set()
        self.renamed: dict[str, str] = {}

    def make(self, name: object, fallback: str) -> str:
        base = name if isinstance(name, str) and check_id(name) is None else None
        if base is None:
            cleaned = re.sub(r"\W+", "_", str(name) if isinstance(name, str) else "", flags=re.ASCII).strip("_")[:56]
            if cleaned[:1].isdigit():
                cleaned = "n" + cleaned
            # "class" or "forward" are taken by Python or torch: "class_" is not.
            base = next((b for b in (cleaned, cleaned + "_") if cleaned and check_id(b) is None), fallback)
        result, n = base, 1
        while result in self.taken or check_id(result) is not None:
            n += 1
            result = f"{base}_{n}"
        self.taken.add(result)
        if isinstance(name, str) and name != result:
            self.renamed[name] = result
        return result


def checked(document: dict, limits: ImportLimits, what: str) -> dict:
    """The design's summary; a design that came out invalid is refused with LayerLab's own reason."""
    summary = summarize(document, limits.graph)
    if not summary["valid"]:
        first = summary["errors"][0]
        raise ImportRefused(f"the {what} maps onto blocks, but the design is not valid: {first['message']}")
    return summary
