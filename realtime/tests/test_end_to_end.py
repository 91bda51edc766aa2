"""End to end across processes: a real daphne on a loopback port holds the sockets; this test process plays
gunicorn and changes a lesson through the REST API; the Redis channel layer carries the event over."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from websockets.sync.client import connect

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def daphne_server():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: sockets in another process are reached through the Redis channel layer")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_TESTING": "1", "DJANGO_DEBUG": "True"}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "tutorcal.asgi:application"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"daphne did not start: {log.read().decode(errors='replace')[-3000:]}")
                time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _frame(ws, kind: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == kind:
            return frame


def test_a_rest_change_in_this_process_reaches_sockets_held_by_a_daphne_process(
    daphne_server, api, tutor, student, make_lesson
):
    lesson = make_lesson(tutor, [student], start=timezone.now() + timedelta(days=2))
    tickets = {who.role: api(who).post("/api/realtime/ticket").json()["ticket"] for who in (tutor, student)}

    with (
        connect(f"{daphne_server}/ws/?ticket={tickets['teacher']}") as tutor_ws,
        connect(f"{daphne_server}/ws/?ticket={tickets['student']}") as student_ws,
    ):
        assert _frame(tutor_ws, "ready")["data"]["profileId"] == str(tutor.id)
        assert _frame(student_ws, "ready")["data"]["profileId"] == str(student.id)
        # Presence crossed over too: the tutor's socket learns that the student came online.
        assert _frame(tutor_ws, "presence.changed")["data"]["online"] is True

        response = api(tutor).patch(f"/api/teachers/me/lessons/{lesson.id}", {"durationMinutes": 90}, format="json")
        assert response.status_code == 200, response.content

        to_tutor = _frame(tutor_ws, "lesson.updated")["data"]
        assert to_tutor["lessons"][0]["id"] == str(lesson.id)
        assert to_tutor["lessons"][0]["durationMinutes"] == 90
        to_student = _frame(student_ws, "lesson.updated")["data"]
        assert to_student["lessons"][0]["durationMinutes"] == 90

    # A used ticket is refused by the other process as well.
    with connect(f"{daphne_server}/ws/?ticket={tickets['teacher']}") as reused:
        with pytest.raises(Exception) as closed:
            reused.recv(timeout=10)
        assert getattr(closed.value, "rcvd", None) is not None and closed.value.rcvd.code == 4401
