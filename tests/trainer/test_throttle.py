from trainer.engine.throttle import PointThrottle


def point(step, loss, accuracy=0.5, split="train"):
    return {"type": "metric", "split": split, "epoch": 1, "step": step, "loss": loss, "accuracy": accuracy,
            "time": float(step)}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_it_passes_points_that_come_slowly_unchanged():
    sent, clock = [], Clock()
    throttle = PointThrottle(sent.append, 0.1, clock)
    for step in (1, 2, 3):
        clock.now += 0.2
        throttle(point(step, float(step)))
    assert sent == [point(1, 1.0), point(2, 2.0), point(3, 3.0)]


def test_it_merges_fast_points_weighted_by_the_steps_they_cover():
    sent, clock = [], Clock()
    throttle = PointThrottle(sent.append, 0.1, clock)
    throttle(point(1, 4.0, 0.0))  # sent: the first point goes at once
    clock.now += 0.01
    throttle(point(2, 2.0, 1.0))
    clock.now += 0.01
    throttle(point(4, 1.0, 0.25))  # covers steps 3 and 4: weight 2
    assert len(sent) == 1
    clock.now += 0.2
    throttle(point(5, 3.0, 1.0))
    assert len(sent) == 2
    merged = sent[1]
    assert merged["step"] == 5 and merged["time"] == 5.0
    assert merged["loss"] == (2.0 * 1 + 1.0 * 2 + 3.0 * 1) / 4
    assert merged["accuracy"] == (1.0 + 0.25 * 2 + 1.0) / 4


def test_it_flushes_before_a_validation_point_or_a_status_and_keeps_order():
    sent, clock = [], Clock()
    throttle = PointThrottle(sent.append, 0.1, clock)
    throttle(point(1, 1.0))
    throttle(point(2, 2.0))  # held back
    throttle(point(2, 0.7, 0.9, split="val"))
    throttle({"type": "status", "status": "succeeded"})
    assert [(m.get("split"), m.get("step"), m.get("status")) for m in sent] == [
        ("train", 1, None), ("train", 2, None), ("val", 2, None), (None, None, "succeeded")]


def test_it_keeps_accuracy_none_for_regression_and_sends_the_rest_on_flush():
    sent, clock = [], Clock()
    throttle = PointThrottle(sent.append, 0.1, clock)
    throttle(point(1, 1.0, None))
    throttle(point(2, 3.0, None))
    throttle.flush()
    assert sent[-1]["accuracy"] is None and sent[-1]["loss"] == 3.0
    throttle.flush()
    assert len(sent) == 2
