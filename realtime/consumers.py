"""The WebSocket at /ws/?ticket=… : pushes lesson changes, presence and "who is viewing" to one user's tab.

Server → client frames are JSON ``{"type": …, "data": {…}}``:

* ``ready`` {role, profileId, heartbeatSeconds}, then ``presence`` (the same state as GET /api/realtime/presence);
* ``presence.changed`` {role, profileId, name, online} when a contact comes online / goes offline;
* ``viewing`` {lessonId, viewers: [{role, profileId, name}]} for lessons the user may see;
* ``lesson.created|updated|deleted|completed|cancelled``, ``student.joined|archived|restored``,
  ``subscription.updated`` (built in realtime.services);
* ``pong``, ``error`` {code, message}.

Client → server: ``{"type": "ping"}``, ``{"type": "view", "lessonId": …}``, ``{"type": "unview"}``,
``{"type": "presence"}``. Anything else gets an ``error`` frame; a bad message only ever affects its sender.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from tutorcal import jsonbody
from tutorcal.errors import DomainError
from tutorcal.timeutil import iso

from . import presence
from .selectors import (
    Audience,
    Identity,
    group_name,
    lesson_audience,
    presence_state,
    session_group,
    socket_identity,
    user_is_live,
)
from .selectors import visible_viewers as _visible
from .tickets import ticket_redeem

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
MAX_MESSAGE_BYTES = 4096
RATE_WINDOW_SECONDS = 10
RATE_MAX_MESSAGES = 60
LIVE_CHECK_EVERY = 8  # heartbeats between "is the user still not deleted" checks (~3 min)
GROUP_READD_SECONDS = 3600  # channels_redis forgets group members after a day; renew well before


def _authenticate(raw_ticket: str | None) -> Identity | None:
    return socket_identity(ticket_redeem(raw_ticket))


class RealtimeConsumer(AsyncWebsocketConsumer):
    identity: Identity | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("ticket") or [None])[0]
        identity = await database_sync_to_async(_authenticate)(raw)
        await self.accept()
        if identity is None:
            # Accept first so the client sees the 4401 close code (a handshake rejection is an opaque 403).
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.identity = identity
        self.group = group_name(identity.role, identity.profile_id)
        self.known_online: set = set()
        self.viewing: tuple[Audience, str] | None = None  # (lesson audience, our member in the viewing set)
        self.sent_viewers: OrderedDict[str, list] = OrderedDict()
        self.recent: list[float] = []
        self.groups_added_at = time.monotonic()
        await self.channel_layer.group_add(self.group, self.channel_name)
        if identity.session:
            await self.channel_layer.group_add(session_group(identity.session), self.channel_name)
        first = await presence.asocket_connected(identity.key, self.channel_name)
        await self.send_frame(
            "ready",
            {
                "role": identity.role,
                "profileId": identity.profile_id,
                "heartbeatSeconds": presence.heartbeat_seconds(),
            },
        )
        state = await database_sync_to_async(presence_state)(identity)
        self.known_online = {(c["role"], c["profileId"]) for c in state["contacts"] if c["online"]}
        for item in state["viewing"]:
            self._remember_viewers(item["lessonId"], item["viewers"])
        await self.send_frame("presence", state)
        if first:
            await self.announce(online=True)
        self.heartbeat = asyncio.create_task(self.heartbeat_loop())

    async def disconnect(self, code) -> None:
        identity = self.identity
        if identity is None:
            return
        self.identity = None
        task = getattr(self, "heartbeat", None)
        if task is not None:
            task.cancel()
        try:
            await self.leave_viewing(identity)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            if identity.session:
                await self.channel_layer.group_discard(session_group(identity.session), self.channel_name)
            if await presence.asocket_disconnected(identity.key, self.channel_name):
                await self.announce(online=False, identity=identity)
        except Exception:
            logger.exception("realtime disconnect cleanup failed")

    async def heartbeat_loop(self) -> None:
        """Keep this socket's presence alive while the process lives, reconcile contacts (heals missed or
        crashed-process transitions), and drop the socket if its user was deleted meanwhile."""
        ticks = 0
        while True:
            await asyncio.sleep(presence.heartbeat_seconds())
            ticks += 1
            identity = self.identity
            if identity is None:
                return
            try:
                await self.refresh_presence()
                online = await presence.aonline_keys(list(identity.contacts))
                for key in online ^ self.known_online:
                    await self.send_presence_changed(key, key in online)
                if ticks % LIVE_CHECK_EVERY == 0 and not await database_sync_to_async(user_is_live)(
                    identity.user_id, identity.session
                ):
                    await self.close(code=CLOSE_UNAUTHORIZED)
                    return
                if time.monotonic() - self.groups_added_at > GROUP_READD_SECONDS:
                    self.groups_added_at = time.monotonic()
                    await self.channel_layer.group_add(self.group, self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("realtime heartbeat failed")

    async def refresh_presence(self) -> None:
        identity = self.identity
        items = [(f"online:{identity.role}:{identity.profile_id}", self.channel_name)]
        if self.viewing is not None:
            audience, member = self.viewing
            items.append((presence.viewing_name(audience.teacher_id), member))
        await presence.asockets_refresh(items)

    # ---- client messages -----------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        if self.identity is None:
            return
        if text_data is None:
            return await self.send_error("BAD_MESSAGE", "send JSON text frames")
        if len(text_data) > MAX_MESSAGE_BYTES:
            return await self.send_error("MESSAGE_TOO_LARGE", f"at most {MAX_MESSAGE_BYTES} bytes")
        now = time.monotonic()
        self.recent = [t for t in self.recent if now - t < RATE_WINDOW_SECONDS]
        if len(self.recent) >= RATE_MAX_MESSAGES:
            limit = f"at most {RATE_MAX_MESSAGES} messages per {RATE_WINDOW_SECONDS} s"
            return await self.send_error("RATE_LIMITED", limit)
        self.recent.append(now)
        try:
            message = jsonbody.loads(text_data)  # nesting, NULs, surrogates: refused, never a crashed consumer
        except DomainError:
            return await self.send_error("INVALID_JSON", "the frame is not JSON")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.send_error("BAD_MESSAGE", "expected an object with a string `type`")
        kind = message["type"]
        if kind == "ping":
            await self.refresh_presence()
            return await self.send_frame("pong", {"serverTime": iso(timezone.now())})
        if kind == "view":
            return await self.on_view(message.get("lessonId"))
        if kind == "unview":
            return await self.on_unview(message.get("lessonId"))
        if kind == "presence":
            state = await database_sync_to_async(presence_state)(self.identity)
            self.known_online = {(c["role"], c["profileId"]) for c in state["contacts"] if c["online"]}
            return await self.send_frame("presence", state)
        return await self.send_error("UNKNOWN_TYPE", "type must be one of ping, view, unview, presence")

    async def on_view(self, lesson_id) -> None:
        if not isinstance(lesson_id, str) or len(lesson_id) > 64:
            return await self.send_error("LESSON_NOT_FOUND", "lessonId must be a lesson id")
        identity = self.identity
        audience = await database_sync_to_async(lesson_audience)(lesson_id)
        if audience is None or not audience.allows(identity.role, identity.profile_id):
            return await self.send_error("LESSON_NOT_FOUND", "no such lesson", lessonId=lesson_id)
        if self.viewing is not None:
            if self.viewing[0].lesson_id == audience.lesson_id:
                return await self.refresh_presence()
            await self.leave_viewing(identity)
        member = presence.viewer_member(
            lesson_id=audience.lesson_id,
            role=identity.role,
            profile_id=identity.profile_id,
            name=identity.name,
            channel=self.channel_name,
        )
        self.viewing = (audience, member)
        await presence.aviewing_add(audience.teacher_id, member)
        await self.broadcast_viewers(audience)

    async def on_unview(self, lesson_id) -> None:
        if self.viewing is None:
            return
        if lesson_id is not None and lesson_id != self.viewing[0].lesson_id:
            return await self.send_error("NOT_VIEWING", "this socket is not viewing that lesson", lessonId=lesson_id)
        await self.leave_viewing(self.identity)

    async def leave_viewing(self, identity: Identity) -> None:
        if self.viewing is None:
            return
        audience, member = self.viewing
        self.viewing = None
        await presence.aviewing_remove(audience.teacher_id, member)
        await self.broadcast_viewers(audience)

    # ---- fan-out from this socket ----------------------------------------------------------------------

    async def broadcast_viewers(self, audience: Audience) -> None:
        viewers = (await presence.aviewers(audience.teacher_id, [audience.lesson_id])).get(audience.lesson_id, [])
        online = await presence.aonline_keys(audience.keys())
        message = {"type": "rt.viewing", "lessonId": audience.lesson_id, "viewers": viewers}
        await asyncio.gather(*(self.channel_layer.group_send(group_name(*key), message) for key in online))

    async def announce(self, *, online: bool, identity: Identity | None = None) -> None:
        """Tell this user's online contacts that the user came online / went offline."""
        identity = identity or self.identity
        targets = await presence.aonline_keys(list(identity.contacts))
        message = {"type": "rt.presence", "role": identity.role, "profileId": identity.profile_id}
        await asyncio.gather(*(self.channel_layer.group_send(group_name(*key), message) for key in targets))

    # ---- channel-layer handlers (messages for this profile's group) ------------------------------------

    async def rt_close(self, event: dict) -> None:
        """The account behind this socket was deleted: end the session now."""
        await self.close(code=4401)

    async def rt_push(self, event: dict) -> None:
        if self.identity is None:
            return
        contact = event.get("contact")
        if contact:
            await self.apply_contact(contact)
        await self.send(text_data=json.dumps(event["payload"], ensure_ascii=False, separators=(",", ":")))

    async def rt_contact(self, event: dict) -> None:
        if self.identity is not None:
            await self.apply_contact(event["contact"])

    async def rt_presence(self, event: dict) -> None:
        """A contact's presence may have changed: look at the truth (racing tabs may announce out of order)
        and tell the client only what differs from what it already knows."""
        identity = self.identity
        key = (event.get("role"), event.get("profileId"))
        if identity is None or key not in identity.contacts:
            return
        online = key in await presence.aonline_keys([key])
        if online != (key in self.known_online):
            await self.send_presence_changed(key, online)

    async def rt_viewing(self, event: dict) -> None:
        identity = self.identity
        if identity is None:
            return
        lesson_id = event["lessonId"]
        visible = _visible(identity.role, identity.profile_id, event["viewers"])
        if self.sent_viewers.get(lesson_id, []) == visible:
            return
        self._remember_viewers(lesson_id, visible)
        await self.send_frame("viewing", {"lessonId": lesson_id, "viewers": visible})

    # ---- helpers -----------------------------------------------------------------------------------

    async def apply_contact(self, contact: dict) -> None:
        key = (contact["role"], contact["profileId"])
        if contact.get("linked"):
            self.identity.contacts[key] = contact.get("name") or "—"
            online = key in await presence.aonline_keys([key])
            if online != (key in self.known_online):
                await self.send_presence_changed(key, online)
        else:
            self.identity.contacts.pop(key, None)
            if key in self.known_online:
                await self.send_presence_changed(key, False, name=contact.get("name"))

    async def send_presence_changed(self, key, online: bool, name: str | None = None) -> None:
        if online:
            self.known_online.add(key)
        else:
            self.known_online.discard(key)
        name = name or self.identity.contacts.get(key, "—")
        await self.send_frame("presence.changed", {"role": key[0], "profileId": key[1], "name": name, "online": online})

    def _remember_viewers(self, lesson_id: str, viewers: list) -> None:
        self.sent_viewers[lesson_id] = viewers
        self.sent_viewers.move_to_end(lesson_id)
        while len(self.sent_viewers) > 200:
            self.sent_viewers.popitem(last=False)

    async def send_frame(self, kind: str, data: dict) -> None:
        await self.send(text_data=json.dumps({"type": kind, "data": data}, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, code: str, message: str, **extra) -> None:
        await self.send_frame("error", {"code": code, "message": message, **extra})
