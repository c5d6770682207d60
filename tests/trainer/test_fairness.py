"""The fair order: round-robin over owners, whoever queued first."""
from trainer.fairness import order, pick


def run(pk, owner, status="queued", dispatched=None):
    return {"pk": pk, "owner_id": owner, "status": status, "dispatched": dispatched}


def test_it_puts_a_late_student_before_anothers_burst():
    active = [run(1, "a", "running")] + [run(pk, "a") for pk in range(2, 12)] + [run(12, "b")]
    assert order(active) == [12] + list(range(2, 12))


def test_it_alternates_owners_round_by_round():
    active = [run(1, "a"), run(2, "a"), run(3, "a"), run(4, "b"), run(5, "b"), run(6, "c")]
    assert order(active) == [1, 4, 6, 2, 5, 3]


def test_it_serves_first_the_owner_served_longest_ago():
    active = [run(1, "a"), run(2, "b")]
    assert order(active, {"a": 100.0, "b": 50.0}) == [2, 1]
    assert order(active, {"a": 100.0}) == [2, 1]  # b never ran
    assert order(active, {}) == [1, 2]


def test_it_keeps_runs_handed_to_celery_first_in_the_order_handed():
    active = [run(1, "a", dispatched=20), run(2, "b", dispatched=10), run(3, "c")]
    assert order(active) == [2, 1, 3]


def test_it_fills_only_free_slots_and_respects_the_per_owner_cap():
    active = [run(1, "a", "running"), run(2, "a"), run(3, "a"), run(4, "b"), run(5, "c")]
    assert pick(active, slots=1, per_owner=1) == []
    assert pick(active, slots=3, per_owner=1) == [4, 5]
    assert pick(active, slots=4, per_owner=2) == [4, 5, 2]
