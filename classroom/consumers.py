"""ws/labs/<id>/: the teacher's wall. On connect, each student's latest run so far (so a wall opened
mid-lesson has its curves), then every message of every run in the lab as it happens."""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Max

from trainer.models import Run
from trainer.stream import messages_after

from .models import Lab
from .wall import group_name


@database_sync_to_async
def taught_lab(user, lab_id: int) -> bool:
    if not user or not user.is_authenticated:
        return False
    return Lab.objects.filter(pk=lab_id, course__teacher=user).exists()


@database_sync_to_async
def latest_runs(lab_id: int) -> list[dict]:
    latest = Run.objects.filter(lab_id=lab_id).values("owner").annotate(last=Max("pk")).values_list("last", flat=True)
    out = []
    for run_id, student in Run.objects.filter(pk__in=list(latest)).values_list("pk", "owner__username"):
        out += [dict(m, run=run_id, student=student) for m in messages_after(run_id, 0)]
    return out


class LabConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.lab_id = int(self.scope["url_route"]["kwargs"]["lab_id"])
        self.seen: dict[int, int] = {}  # run -> last seq sent, so the replay and live never double
        self.joined = False
        user = self.scope.get("user")
        await self.accept()
        if not await taught_lab(user, self.lab_id):
            await self.close(code=4401 if not (user and user.is_authenticated) else 4404)
            return
        await self.channel_layer.group_add(group_name(self.lab_id), self.channel_name)
        self.joined = True
        for message in await latest_runs(self.lab_id):
            await self.deliver(message)

    async def disconnect(self, code):
        if self.joined:
            await self.channel_layer.group_discard(group_name(self.lab_id), self.channel_name)

    async def run_message(self, event):
        await self.deliver(event["message"])

    async def deliver(self, message: dict):
        seq = message.get("seq")
        if seq is not None:  # a queued status has no seq: it is not part of a run's stream
            if seq <= self.seen.get(message["run"], 0):
                return
            self.seen[message["run"]] = seq
        await self.send_json(message)
