"""The order in which waiting runs start: round-robin over their owners, not first come first
served (Celery alone is FIFO; a student who queues ten runs must not hold back the other 59).

Pure core: plain dicts in, run ids out. A run is `{"pk", "owner_id", "status", "dispatched"}`;
"in flight" means running, or queued and already handed to Celery (`dispatched` set).
"""
from collections import Counter


def _in_flight(run: dict) -> bool:
    return run["status"] == "running" or (run["status"] == "queued" and run["dispatched"] is not None)


def order(active: list[dict], last_started: dict | None = None) -> list[int]:
    """Every waiting run, in the order it will start: those already handed to Celery first (in the
    order they were handed), then the rest round-robin: an owner's n-th waiting run counts as
    round n plus the runs that owner already has in flight; within a round, the owner served
    longest ago (or never: `last_started` maps owner -> when their last run started) goes first,
    then the older run."""
    last_started = last_started or {}
    handed = sorted((r for r in active if r["status"] == "queued" and r["dispatched"] is not None),
                    key=lambda r: (r["dispatched"], r["pk"]))
    busy = Counter(r["owner_id"] for r in active if _in_flight(r))
    seen: Counter = Counter()
    ranked = []
    for run in sorted((r for r in active if r["status"] == "queued" and r["dispatched"] is None),
                      key=lambda r: r["pk"]):
        owner = run["owner_id"]
        served = last_started.get(owner)
        ranked.append((busy[owner] + seen[owner], served is not None, served or 0, run["pk"]))
        seen[owner] += 1
    return [r["pk"] for r in handed] + [key[-1] for key in sorted(ranked)]


def pick(active: list[dict], slots: int, per_owner: int, last_started: dict | None = None) -> list[int]:
    """The waiting runs to hand to Celery now: as many as there are free slots, in fair order,
    never more than `per_owner` in flight for one owner."""
    free = slots - sum(1 for r in active if _in_flight(r))
    busy = Counter(r["owner_id"] for r in active if _in_flight(r))
    owner_of = {r["pk"]: r["owner_id"] for r in active if r["status"] == "queued" and r["dispatched"] is None}
    picked = []
    for pk in order(active, last_started):
        if len(picked) >= free:
            break
        if pk not in owner_of or busy[owner_of[pk]] >= per_owner:
            continue
        picked.append(pk)
        busy[owner_of[pk]] += 1
    return picked
