"""The teacher's wall: every stream message of every run in a lab goes to the group lab-<id> too,
with "run" and "student" added; score_private never goes into any stream message."""
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from trainer.models import Run

from .scoring import hide_private


def group_name(lab_id: int) -> str:
    return f"lab-{lab_id}"


def lab_route(run_id: int, payload: dict) -> tuple[dict, tuple[str, dict] | None]:
    """(payload to store and send, (lab group, fields to add) or None for a run in no lab)."""
    row = Run.objects.filter(pk=run_id, lab__isnull=False).values_list("lab_id", "owner__username").first()
    if row is None:
        return payload, None
    if isinstance(payload.get("result"), dict):
        payload = dict(payload, result=hide_private(payload["result"]))
    return payload, (group_name(row[0]), {"run": run_id, "student": row[1]})
