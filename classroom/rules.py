"""A lab's rules (pure core: no Django): locked blocks, allowed blocks, limits, the hidden split,
the run that counts. Problems use the run API's format {"node", "param", "message", "fix"}."""
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from builder.blocks import BLOCKS
from builder.document import read_node

SPLIT_SEED = 20261  # the hidden test split is divided once, by this fixed seed
LIMIT_NAMES = ("max_params", "max_epochs", "max_runs", "max_queued")


@dataclass(frozen=True)
class LabLimits:
    max_params: int
    max_epochs: int
    max_runs: int
    max_queued: int


def problem(message: str, node=None, param=None, fix=None) -> dict:
    return {"node": node, "param": param, "message": message, "fix": fix}


def signature(raw) -> tuple | None:
    """(type, params with defaults filled, inputs) of a raw node, or None when it cannot be read."""
    node = read_node(0, raw, []) if isinstance(raw, dict) else None
    if node is None:
        return None
    return node.type, node.params, tuple(node.inputs)


def nodes_by_id(document) -> dict:
    nodes = document.get("nodes") if isinstance(document, dict) else None
    if not isinstance(nodes, list):
        return {}
    return {n["id"]: n for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)}


def check_locked(starter: dict, document: dict, locked: list[str]) -> list[dict]:
    """A locked node must be in the design exactly as in the starter: type, params and inputs."""
    mine, theirs = nodes_by_id(document), nodes_by_id(starter)
    problems = []
    for node_id in locked:
        if node_id not in mine:
            problems.append(problem(f"the locked block '{node_id}' was removed: put it back (reload the lab's "
                                    "starter) — locked blocks must stay as the teacher made them", node_id))
            continue
        want, got = signature(theirs.get(node_id)), signature(mine[node_id])
        if want is None or got is None or want[0] != got[0]:
            problems.append(problem(f"the locked block '{node_id}' must stay a {want[0] if want else 'block'} "
                                    "as in the starter", node_id, "type"))
        elif want[1] != got[1]:
            changed = sorted(k for k in set(want[1]) | set(got[1]) if want[1].get(k) != got[1].get(k))
            problems.append(problem(f"the locked block '{node_id}' must keep the starter's settings "
                                    f"({', '.join(changed)} changed)", node_id, changed[0],
                                    {k: _plain(want[1].get(k)) for k in changed}))
        elif want[2] != got[2]:
            problems.append(problem(f"the locked block '{node_id}' must keep its inputs "
                                    f"{list(want[2])}, not {list(got[2])}", node_id, "inputs"))
    return problems


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def check_blocks(document: dict, allowed: list[str] | None, locked: list[str]) -> list[dict]:
    """Only the allowed block types, locked nodes excepted (they come from the teacher)."""
    if allowed is None:
        return []
    problems = []
    for node_id, raw in nodes_by_id(document).items():
        kind = raw.get("type")
        if node_id not in locked and kind not in allowed:
            problems.append(problem(f"'{node_id}' is a {kind} block, which this lab does not allow: use "
                                    f"{', '.join(allowed) or 'only the locked blocks'}", node_id, "type"))
    return problems


def check_limits(limits: LabLimits, params: int | None, epochs: int, runs_used: int, waiting: int) -> list[dict]:
    problems = []
    if params is not None and params > limits.max_params:
        problems.append(problem(f"the design has {params:,} parameters; this lab allows at most "
                                f"{limits.max_params:,}: make some layers smaller"))
    if epochs > limits.max_epochs:
        problems.append(problem(f"epochs is {epochs}; this lab allows at most {limits.max_epochs}",
                                param="epochs", fix={"epochs": limits.max_epochs}))
    if runs_used >= limits.max_runs:
        problems.append(problem(f"you have used all {limits.max_runs} runs this lab allows"))
    if waiting >= limits.max_queued:
        problems.append(problem(f"you already have {waiting} run(s) waiting; this lab allows "
                                f"{limits.max_queued} at a time: wait for one to start or stop it"))
    return problems


def check_deadline(deadline: datetime | None, now: datetime, accept_late: bool) -> tuple[bool, list[dict]]:
    """(late, problems): past the deadline a run is refused, or accepted and marked late."""
    if deadline is None or now <= deadline:
        return False, []
    if accept_late:
        return True, []
    return True, [problem(f"the lab closed at {deadline:%Y-%m-%d %H:%M} UTC and takes no late work")]


def check_lab_design(starter, locked, allowed) -> list[str]:
    """What is wrong with a lab's starter, locked ids and allowed block types (the teacher's input)."""
    errors = []
    ids = nodes_by_id(starter)
    if not isinstance(locked, list) or not all(isinstance(i, str) for i in locked):
        errors.append("locked must be a list of node ids of the starter")
    else:
        errors += [f"locked names '{i}', which is not a node of the starter" for i in locked if i not in ids]
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(b, str) for b in allowed):
            errors.append("allowed_blocks must be a list of block types, or null for all")
        else:
            errors += [f"allowed_blocks names '{b}', which is not a block type" for b in allowed if b not in BLOCKS]
    return errors


def parse_limits(raw, defaults: LabLimits) -> LabLimits:
    """The lab's limits, the server's own for any left out; ValueError naming a bad one."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("limits must be an object such as {\"max_epochs\": 20}")
    unknown = sorted(set(raw) - set(LIMIT_NAMES))
    if unknown:
        raise ValueError(f"unknown limit {unknown[0]!r}; use {', '.join(LIMIT_NAMES)}")
    values = {}
    for name in LIMIT_NAMES:
        value = raw.get(name, getattr(defaults, name))
        ceiling = getattr(defaults, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ceiling:
            raise ValueError(f"{name} must be a whole number from 1 to {ceiling:,} (the server's limit), not {value!r}")
        values[name] = value
    return LabLimits(**values)


def hidden_split(n: int, public_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The test split's (public, private) indices: the same for every run of every lab on it."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_public = int(round(n * public_fraction))
    return np.sort(order[:n_public]), np.sort(order[n_public:])


def counting_run(runs: list[dict], submitted: int | None) -> dict | None:
    """The run that counts: the one submitted, else the best public score (earliest on a tie)."""
    scored = [r for r in runs if r.get("score_public") is not None]
    chosen = [r for r in scored if r["id"] == submitted]
    if chosen:
        return chosen[0]
    return max(scored, key=lambda r: (r["score_public"], -r["id"]), default=None)


def rank(rows: list[dict]) -> list[dict]:
    """Leaderboard order: best public score first, students without a score last, then by name."""
    return sorted(rows, key=lambda r: (r["score_public"] is None, -(r["score_public"] or 0), r["student"]))
