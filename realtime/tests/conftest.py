"""Helpers for socket tests: open a socket as a persona (through the real routing + origin check) and read
frames by type."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from lessons.models import Lesson, LessonStudent
from realtime import presence
from realtime.routing import websocket_application
from realtime.tickets import ticket_issue

TIMEOUT = 3


@pytest.fixture(autouse=True)
def _fresh_realtime_state():
    """A new channel layer per test (each test has its own event loop) and empty presence sets."""
    channel_layers.backends.clear()
    presence.backend().clear()
    yield
    presence.backend().clear()
    channel_layers.backends.clear()


def issue(persona) -> str:
    return ticket_issue(user_id=persona.user.pk, role=persona.role, profile_id=persona.profile.id)["ticket"]


class Socket:
    """A connected test socket with a buffer, so frames of other types are kept while waiting for one."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.comm = communicator
        self.buffer: list[dict] = []

    async def next(self, kind: str, timeout: float = TIMEOUT) -> dict:
        for i, frame in enumerate(self.buffer):
            if frame["type"] == kind:
                return self.buffer.pop(i)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind!r} frame; got {[f['type'] for f in self.buffer]}")
            frame = await self.comm.receive_json_from(timeout=left)
            if frame["type"] == kind:
                return frame
            self.buffer.append(frame)

    async def nothing(self, kind: str | None = None, timeout: float = 0.3) -> None:
        """Assert no frame (of `kind`, or at all) arrives within `timeout`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            if await self.comm.receive_nothing(timeout=left, interval=0.02):
                break
            self.buffer.append(await self.comm.receive_json_from())
        got = [f for f in self.buffer if kind is None or f["type"] == kind]
        assert not got, f"unexpected frames: {got}"

    async def send(self, message) -> None:
        await self.comm.send_json_to(message)

    async def close(self) -> None:
        await self.comm.disconnect()


async def open_socket(path: str, origin: str | None = None) -> tuple[WebsocketCommunicator, bool, object]:
    headers = [(b"origin", origin.encode())] if origin else []
    comm = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, detail = await comm.connect(timeout=TIMEOUT)
    return comm, connected, detail


@pytest.fixture(autouse=True)
async def _close_socket_thread_connections():
    """Consumers query the database from asgiref's thread-sensitive worker thread; close its (persistent,
    CONN_MAX_AGE) connection after each test so the test database can be dropped at the end."""
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
async def ws():
    """`await ws(persona)` → a Socket past its `ready` and `presence` frames (the latter kept in `.presence`).
    Sockets still open at the end of the test are closed."""
    opened: list[Socket] = []

    async def _open(persona) -> Socket:
        ticket = await sync_to_async(issue)(persona)
        comm, connected, _ = await open_socket(f"/ws/?ticket={ticket}")
        assert connected
        sock = Socket(comm)
        opened.append(sock)
        ready = await sock.next("ready")
        assert ready["data"]["profileId"] == str(persona.profile.id)
        sock.presence = (await sock.next("presence"))["data"]
        return sock

    yield _open
    for sock in opened:
        try:
            await sock.comm.disconnect()
        except Exception:
            pass


@pytest.fixture
def make_lesson(db):
    def _make(teacher, students=(), start=None, **fields) -> Lesson:
        lesson = Lesson.objects.create(
            teacher=teacher.profile,
            start_at=start or timezone.now() + timedelta(days=1),
            duration_minutes=60,
            price_rub=1000,
            **fields,
        )
        for s in students:
            LessonStudent.objects.create(lesson=lesson, student=s.profile, price_rub=1000)
        return lesson

    return _make
