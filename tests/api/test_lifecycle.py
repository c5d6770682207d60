"""The lifecycle without a worker: dispatch in fair order, guarded transitions, the sweep, limits,
deletion and pages. Celery's in-memory broker stands in for Redis; the database is real."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import DIGITS_MLP
from trainer import lifecycle
from trainer.models import Run, RunMessage

# Real commits, so the lifecycle's on-commit dispatch runs as it does in production.
pytestmark = pytest.mark.django_db(transaction=True)


def start(client, **fields):
    return client.post("/api/runs/", dict({"graph": DIGITS_MLP, "dataset": "digits", "epochs": 1}, **fields),
                       format="json")


def statuses(run_id):
    return [m.payload.get("status") for m in RunMessage.objects.filter(run_id=run_id)]


def test_it_hands_only_as_many_runs_to_celery_as_there_are_slots(alice, bob, settings):
    settings.LAYERLAB_MAX_RUNNING_PER_USER = 5
    first, second = start(alice).json(), start(alice).json()
    assert Run.objects.get(pk=first["id"]).dispatched is not None
    assert Run.objects.get(pk=second["id"]).dispatched is None and second["queue_position"] == 2
    late = start(bob).json()
    assert late["queue_position"] == 2  # bob goes before alice's second run
    assert alice.get(f"/api/runs/{second['id']}/").json()["queue_position"] == 3


def test_it_claims_a_run_once_and_only_for_the_current_attempt(alice):
    run = Run.objects.get(pk=start(alice).json()["id"])
    assert run.attempt == 1
    assert not lifecycle.do_claim(run.pk, 0, "w@x")  # a stale message
    assert lifecycle.do_claim(run.pk, 1, "w@x")
    assert not lifecycle.do_claim(run.pk, 1, "w@y")  # a duplicate delivery
    assert Run.objects.get(pk=run.pk).worker == "w@x"


def test_it_fails_a_run_whose_heartbeat_stopped_and_starts_the_next(alice, settings):
    settings.LAYERLAB_MAX_RUNNING_PER_USER = 1
    run = Run.objects.get(pk=start(alice).json()["id"])
    waiting = start(alice).json()["id"]
    lifecycle.do_claim(run.pk, run.attempt, "w@x")
    assert lifecycle.sweep()["failed"] == []  # fresh heartbeat: alive
    Run.objects.filter(pk=run.pk).update(heartbeat=timezone.now() - timedelta(seconds=600))
    assert lifecycle.sweep()["failed"] == [run.pk]
    assert Run.objects.get(pk=waiting).dispatched is not None  # the freed slot went to the next run
    assert Run.objects.get(pk=run.pk).status == "failed"
    assert statuses(run.pk) == ["queued", "failed"]
    assert "worker was lost" in RunMessage.objects.filter(run_id=run.pk).last().payload["result"]["error"]


def test_it_resends_a_run_whose_message_the_broker_lost(alice):
    run = Run.objects.get(pk=start(alice).json()["id"])
    Run.objects.filter(pk=run.pk).update(dispatched=timezone.now() - timedelta(seconds=600))
    assert lifecycle.resend_lost(held={f"run-{run.pk}-1"}) == []  # still in the broker
    assert lifecycle.resend_lost(held=set()) == [run.pk]
    assert lifecycle.dispatch() == [run.pk]
    assert Run.objects.get(pk=run.pk).attempt == 2  # the old message, if it ever comes, claims nothing


def test_it_hands_a_running_run_back_to_the_queue(alice):
    run = Run.objects.get(pk=start(alice).json()["id"])
    lifecycle.do_claim(run.pk, 1, "w@x")
    assert lifecycle.do_request_hand_back("w@x") == 1
    assert lifecycle.do_hand_back(run.pk)
    run.refresh_from_db()
    assert run.status == "queued" and statuses(run.pk)[-1] == "queued"
    assert run.dispatched is not None and run.attempt == 2  # handed out again at once: a slot was free


def test_it_refuses_more_waiting_runs_than_the_limit_and_writes_nothing(alice, settings):
    settings.LAYERLAB_MAX_WAITING_PER_USER = 2
    assert start(alice).status_code == 201 and start(alice).status_code == 201
    r = start(alice)
    assert r.status_code == 429 and "LAYERLAB_MAX_WAITING_PER_USER" in r.json()["detail"]
    assert Run.objects.count() == 2


def test_it_refuses_a_run_that_would_need_more_memory_than_allowed(alice, settings):
    settings.LAYERLAB_MAX_RUN_MEMORY_MB = 1
    assert start(alice, batch_size=16).status_code == 201
    Run.objects.all().delete()
    r = start(alice, batch_size=1024)  # 1,024 samples' outputs kept for the backward pass
    assert r.status_code == 400 and "LAYERLAB_MAX_RUN_MEMORY_MB" in r.json()["detail"]
    assert r.json()["problems"][0]["param"] == "batch_size" and Run.objects.count() == 0


def test_it_refuses_runs_when_storage_is_full(alice, settings):
    settings.LAYERLAB_MAX_STORAGE_MB = 1
    run = Run.objects.get(pk=start(alice).json()["id"])
    Run.objects.filter(pk=run.pk).update(weights_bytes=2 * 2**20, status="succeeded")
    usage = alice.get("/api/usage/").json()
    assert usage["used_bytes"] == 2 * 2**20 and usage["limit_bytes"] == 2**20
    r = start(alice)
    assert r.status_code == 429 and "LAYERLAB_MAX_STORAGE_MB" in r.json()["detail"]


def test_it_deletes_a_finished_run_with_its_files_but_not_an_active_one(alice, bob, settings, tmp_path):
    run_id = start(alice).json()["id"]
    r = alice.delete(f"/api/runs/{run_id}/")
    assert r.status_code == 409 and "stop it first" in r.json()["detail"]
    alice.post(f"/api/runs/{run_id}/stop/")
    folder = settings.MEDIA_ROOT / "runs" / str(run_id)
    folder.mkdir(parents=True)
    (folder / "weights.pt").write_bytes(b"x")
    assert bob.delete(f"/api/runs/{run_id}/").status_code == 404
    assert alice.delete(f"/api/runs/{run_id}/").status_code == 204
    assert not folder.exists() and not Run.objects.filter(pk=run_id).exists()
    assert not RunMessage.objects.filter(run_id=run_id).exists()


def test_it_pages_lists_and_says_how_many_there_are(alice, settings):
    settings.LAYERLAB_PAGE_SIZE = 2
    settings.LAYERLAB_MAX_WAITING_PER_USER = 10
    ids = [start(alice).json()["id"] for _ in range(3)]
    first = alice.get("/api/runs/")
    assert [r["id"] for r in first.json()] == ids[::-1][:2]
    assert first["X-Total-Count"] == "3" and 'rel="next"' in first["Link"]
    second = alice.get("/api/runs/?page=2")
    assert [r["id"] for r in second.json()] == [ids[0]] and 'rel="prev"' in second["Link"]
    assert alice.get("/api/runs/?page=9").status_code == 404


def claimed(client, **fields) -> Run:
    run = Run.objects.get(pk=start(client, **fields).json()["id"])
    assert lifecycle.do_claim(run.pk, run.attempt, "w@test")
    return run


def test_it_times_a_run_out_at_the_wall_clock_limit_and_keeps_its_weights(alice, settings):
    from trainer.tasks import train_claimed

    settings.LAYERLAB_MAX_RUN_SECONDS = 1
    run = claimed(alice, epochs=400)
    train_claimed(run.pk)  # the real task body, in this process
    run.refresh_from_db()
    assert run.status == "timed_out" and run.has_weights and run.weights_bytes > 0
    assert "LAYERLAB_MAX_RUN_SECONDS" in run.result["error"] and run.result["epochs"] < 400
    assert statuses(run.pk)[-1] == "timed_out"


def test_it_fails_a_run_that_grows_past_the_memory_limit(alice, settings, monkeypatch):
    from trainer import guards
    from trainer.tasks import train_claimed

    settings.LAYERLAB_MAX_RUN_MEMORY_MB = 64
    run = claimed(alice, epochs=400)
    grown = iter(range(0, 10**12, 16 * 2**20))  # the process's memory as /proc would report it, growing
    monkeypatch.setattr(guards, "rss_bytes", lambda: next(grown))
    train_claimed(run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and "LAYERLAB_MAX_RUN_MEMORY_MB" in run.result["error"] and run.has_weights


def test_it_continues_a_finished_run_from_its_checkpoint_for_more_epochs(alice, bob):
    from trainer.tasks import train_claimed

    parent = claimed(alice, epochs=2)
    train_claimed(parent.pk)
    parent.refresh_from_db()
    assert parent.status == "succeeded" and alice.get(f"/api/runs/{parent.pk}/").json()["can_continue"]
    assert bob.post(f"/api/runs/{parent.pk}/continue/", {"epochs": 1}, format="json").status_code == 404
    r = alice.post(f"/api/runs/{parent.pk}/continue/", {"epochs": 0}, format="json")
    assert r.status_code == 400 and "epochs" in r.json()["detail"]
    r = alice.post(f"/api/runs/{parent.pk}/continue/", {"epochs": 1}, format="json")
    assert r.status_code == 201 and r.json()["parent"] == parent.pk and r.json()["config"]["epochs"] == 1
    child = Run.objects.get(pk=r.json()["id"])
    assert lifecycle.do_claim(child.pk, child.attempt, "w@test")
    train_claimed(child.pk)
    child.refresh_from_db()
    assert child.status == "succeeded"
    def train_points(run_id):
        return [m.payload for m in RunMessage.objects.filter(run_id=run_id) if m.payload.get("split") == "train"]
    assert train_points(child.pk)[0]["step"] > train_points(parent.pk)[-1]["step"]  # the curve carries on
    assert [m.payload["epoch"] for m in RunMessage.objects.filter(run_id=child.pk)
            if m.payload.get("split") == "val"] == [3]


def test_it_refuses_to_continue_an_active_run_or_one_without_a_checkpoint(alice):
    active = start(alice).json()["id"]
    r = alice.post(f"/api/runs/{active}/continue/", {"epochs": 1}, format="json")
    assert r.status_code == 409 and "once it has ended" in r.json()["detail"]
    alice.post(f"/api/runs/{active}/stop/")
    r = alice.post(f"/api/runs/{active}/continue/", {"epochs": 1}, format="json")
    assert r.status_code == 409 and "no checkpoint" in r.json()["detail"]


def test_it_stores_a_diverged_runs_nan_and_infinity_as_null(alice):
    from trainer.stream import do_append

    run = Run.objects.get(pk=start(alice).json()["id"])
    message = do_append(run.pk, {"type": "metric", "loss": float("nan"), "blocks": {"fc": {"std": float("inf")}}})
    assert message["loss"] is None and message["blocks"]["fc"]["std"] is None
    assert RunMessage.objects.get(run=run, seq=message["seq"]).payload["loss"] is None


def test_it_trains_with_the_torch_threads_the_setting_gives(alice, settings):
    import torch

    from trainer.tasks import train_claimed

    before = torch.get_num_threads()
    settings.LAYERLAB_TORCH_THREADS = 1 if before != 1 else 2
    try:
        run = claimed(alice, epochs=1)
        train_claimed(run.pk)
        assert torch.get_num_threads() == settings.LAYERLAB_TORCH_THREADS
        run.refresh_from_db()
        assert run.status == "succeeded"
    finally:
        torch.set_num_threads(before)
