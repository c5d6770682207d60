"""ws/runs/<id>/: replay what is stored (after ?after=SEQ), then live messages, with no gap and no
duplicate; close after the final status. Another user's run closes with code 4404.
With ?replay=batch the stored messages arrive as one frame, {"type": "replay", "messages": [...]}:
a page opened late in a long run gets its history in one write instead of thousands."""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Run
from .stream import group_name, is_final, messages_after


@database_sync_to_async
def owned_run(user, run_id: int):
    if not user or not user.is_authenticated:
        return None
    return Run.objects.filter(pk=run_id, owner=user).first()


@database_sync_to_async
def stored_after(run_id: int, after: int) -> list[dict]:
    return messages_after(run_id, after)


class RunConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        self.last_seq, self.closed = 0, False
        run = await owned_run(self.scope.get("user"), self.run_id)
        await self.accept()
        if run is None:
            await self.close(code=4401 if not self.scope["user"].is_authenticated else 4404)
            return
        # Join first, then replay: whatever arrives during the replay waits in the channel and
        # is skipped by seq if the replay already had it.
        await self.channel_layer.group_add(group_name(self.run_id), self.channel_name)
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.last_seq = max(0, int(query.get("after", ["0"])[-1]))
        except ValueError:
            self.last_seq = 0
        # A lost worker is noticed by the lifecycle sweep, whose final status arrives here like any other.
        stored = await stored_after(self.run_id, self.last_seq)
        if query.get("replay", [""])[-1] == "batch":
            await self.deliver_batch(stored)
        else:
            for message in stored:
                await self.deliver(message)

    async def disconnect(self, code):
        self.closed = True
        await self.channel_layer.group_discard(group_name(self.run_id), self.channel_name)

    async def run_message(self, event):
        message = event["message"]
        if message["seq"] > self.last_seq + 1:
            for missed in await stored_after(self.run_id, self.last_seq):  # a send was lost: fill from the store
                await self.deliver(missed)
        await self.deliver(message)

    async def deliver_batch(self, messages: list[dict]):
        """The messages not yet sent, as one replay frame."""
        messages = [m for m in messages if m["seq"] > self.last_seq]
        if self.closed or not messages:
            return
        await self.send_json({"type": "replay", "messages": messages})
        await self.sent(messages)

    async def deliver(self, message: dict):
        if self.closed or message["seq"] <= self.last_seq:
            return
        await self.send_json(message)
        await self.sent([message])

    async def sent(self, messages: list[dict]):
        """After sending: remember the newest seq; close once the run's final status has gone out."""
        self.last_seq = messages[-1]["seq"]
        if any(map(is_final, messages)):
            self.closed = True
            await self.close()
