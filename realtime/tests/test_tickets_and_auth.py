import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from realtime.tickets import ticket_redeem

from .conftest import TIMEOUT, issue, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(path: str, origin: str | None = None):
    """Connect and return the close code the server sends (None when the socket stays open)."""
    comm, connected, detail = await open_socket(path, origin)
    if not connected:
        return ("refused", detail)
    output = await comm.receive_output(timeout=TIMEOUT)
    if output["type"] == "websocket.close":
        return output.get("code")
    await comm.disconnect()
    return None


def test_ticket_endpoint_issues_a_single_use_ticket_for_the_tokens_role(api, tutor):
    response = api(tutor).post("/api/realtime/ticket")
    assert response.status_code == 201
    body = response.json()
    assert body["expiresIn"] == 30
    assert body["url"] == f"/ws/?ticket={body['ticket']}"
    assert body["expiresAt"].endswith("Z")
    identity = ticket_redeem(body["ticket"])
    assert (identity.role, identity.profile_id, identity.user_id) == ("teacher", str(tutor.id), str(tutor.user.pk))
    assert ticket_redeem(body["ticket"]) is None


def test_ticket_endpoint_refuses_anonymous_callers(api):
    response = api().post("/api/realtime/ticket")
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401


def test_a_ticket_is_redeemed_by_exactly_one_of_many_racing_connections(tutor):
    ticket = issue(tutor)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ticket_redeem(ticket), range(8)))
    assert sum(r is not None for r in results) == 1


async def test_a_valid_ticket_opens_a_socket_that_greets_with_ready_and_presence(ws, tutor, student):
    sock = await ws(tutor)
    assert sock.presence == {
        "contacts": [{"role": "student", "profileId": str(student.id), "name": "Иван Иванов", "online": False}],
        "viewing": [],
    }


async def test_a_socket_without_ticket_is_closed_with_4401(db):
    assert await closed_with("/ws/") == 4401
    assert await closed_with("/ws/?ticket=") == 4401


async def test_a_forged_ticket_is_closed_with_4401(tutor):
    assert await closed_with("/ws/?ticket=forged-ticket-value") == 4401
    assert await closed_with("/ws/?ticket=" + "x" * 5000) == 4401


async def test_a_reused_ticket_is_closed_with_4401(tutor):
    ticket = await sync_to_async(issue)(tutor)
    assert await closed_with(f"/ws/?ticket={ticket}") is None
    assert await closed_with(f"/ws/?ticket={ticket}") == 4401


async def test_an_expired_ticket_is_closed_with_4401(tutor, settings):
    settings.REALTIME_TICKET_TTL = 1
    ticket = await sync_to_async(issue)(tutor)
    await asyncio.sleep(1.3)
    assert await closed_with(f"/ws/?ticket={ticket}") == 4401


async def test_a_soft_deleted_users_socket_is_refused(tutor):
    ticket = await sync_to_async(issue)(tutor)
    tutor.user.deleted_at = timezone.now()
    await sync_to_async(tutor.user.save)()
    assert await closed_with(f"/ws/?ticket={ticket}") == 4401


async def test_a_ticket_for_a_role_the_user_no_longer_has_is_refused(student):
    ticket = await sync_to_async(issue)(student)
    await sync_to_async(student.profile.delete)()
    assert await closed_with(f"/ws/?ticket={ticket}") == 4401


async def test_a_foreign_origin_is_refused_at_the_handshake(tutor, settings):
    settings.REALTIME_ALLOWED_ORIGINS = ["https://app.example.org"]
    settings.DEBUG = False
    ticket = await sync_to_async(issue)(tutor)
    assert await closed_with(f"/ws/?ticket={ticket}", origin="https://evil.example.com") == ("refused", 4403)
    assert await closed_with(f"/ws/?ticket={ticket}", origin="null") == ("refused", 4403)
    # The ticket was not spent by the refused attempts.
    assert await closed_with(f"/ws/?ticket={ticket}", origin="https://app.example.org") is None


async def test_origins_fall_back_to_cors_allowed_origins(tutor, settings):
    settings.REALTIME_ALLOWED_ORIGINS = []
    settings.CORS_ALLOWED_ORIGINS = ["https://mini.example.org"]
    settings.DEBUG = False
    ticket = await sync_to_async(issue)(tutor)
    assert await closed_with(f"/ws/?ticket={ticket}", origin="https://other.example.org") == ("refused", 4403)
    assert await closed_with(f"/ws/?ticket={ticket}", origin="https://MINI.example.org:443") is None


async def test_an_unknown_websocket_path_is_refused(db):
    comm, connected, detail = await open_socket("/ws/elsewhere/")
    assert (connected, detail) == (False, 4404)


async def test_deleting_the_account_closes_its_open_sockets_at_once(tutor, student, ws):
    from accounts.services.users import account_delete

    tutor_socket = await ws(tutor)
    student_socket = await ws(student)
    await sync_to_async(account_delete)(user=tutor.user)  # sends user_deleted on commit (autocommit here)
    output = await tutor_socket.comm.receive_output(timeout=3)
    while output["type"] == "websocket.send":  # presence frames may still be in flight
        output = await tutor_socket.comm.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    await student_socket.send({"type": "ping"})  # other users' sockets stay open
    await student_socket.next("pong")


def _session_client(persona):
    """A client holding a fresh login (its own sid) of `persona`, and a ticket issued under it."""
    from rest_framework.test import APIClient

    from accounts.tokens import issue_tokens

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(persona.user, persona.role)['token']}")
    ticket = client.post("/api/realtime/ticket", format="json").json()["ticket"]
    return client, ticket


async def test_logout_closes_the_sockets_of_that_login_only(tutor):
    from .conftest import Socket

    phone, phone_ticket = await sync_to_async(_session_client)(tutor)
    laptop, laptop_ticket = await sync_to_async(_session_client)(tutor)
    sockets = []
    for ticket in (phone_ticket, laptop_ticket):
        comm, connected, _ = await open_socket(f"/ws/?ticket={ticket}")
        assert connected
        sock = Socket(comm)
        await sock.next("ready")
        sockets.append(sock)
    phone_socket, laptop_socket = sockets

    response = await sync_to_async(phone.post)("/api/auth/logout", {}, format="json")
    assert response.status_code == 200
    output = await phone_socket.comm.receive_output(timeout=TIMEOUT)
    while output["type"] == "websocket.send":
        output = await phone_socket.comm.receive_output(timeout=TIMEOUT)
    assert output == {"type": "websocket.close", "code": 4401}
    await laptop_socket.send({"type": "ping"})  # the other login stays connected
    await laptop_socket.next("pong")
    await laptop_socket.close()


async def test_a_ticket_issued_just_before_logout_is_refused(tutor):
    client, ticket = await sync_to_async(_session_client)(tutor)
    await sync_to_async(client.post)("/api/auth/logout", {}, format="json")
    assert await closed_with(f"/ws/?ticket={ticket}") == 4401
