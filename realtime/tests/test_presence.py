"""Presence of linked users (multi-tab, expiry), "who is viewing", the REST mirror, and bad client frames."""

import time

import pytest
from asgiref.sync import sync_to_async

from realtime import presence

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_tutor_sees_a_student_come_online_and_go_offline_only_with_the_last_tab(ws, tutor, student):
    t = await ws(tutor)
    assert t.presence["contacts"][0]["online"] is False

    tab1 = await ws(student)
    changed = (await t.next("presence.changed"))["data"]
    assert changed == {"role": "student", "profileId": str(student.id), "name": "Иван Иванов", "online": True}
    assert tab1.presence["contacts"] == [
        {"role": "teacher", "profileId": str(tutor.id), "name": "Анна Петрова", "online": True}
    ]

    tab2 = await ws(student)
    await t.nothing("presence.changed")
    await tab1.close()
    await t.nothing("presence.changed")
    await tab2.close()
    assert (await t.next("presence.changed"))["data"]["online"] is False


async def test_a_student_sees_their_tutor_come_online(ws, tutor, student):
    s = await ws(student)
    await ws(tutor)
    changed = (await s.next("presence.changed"))["data"]
    assert (changed["role"], changed["profileId"], changed["online"]) == ("teacher", str(tutor.id), True)


async def test_a_stranger_tutor_never_sees_anothers_students(ws, tutor, student, stranger_tutor):
    x = await ws(stranger_tutor)
    await ws(student)
    await x.nothing()
    assert x.presence == {"contacts": [], "viewing": []}


async def test_an_archived_student_is_no_longer_a_contact(ws, tutor, student):
    from django.utils import timezone

    from accounts.models import TeacherStudentLink

    await sync_to_async(TeacherStudentLink.objects.filter(student=student.profile).update)(archived_at=timezone.now())
    t = await ws(tutor)
    assert t.presence["contacts"] == []
    await ws(student)
    await t.nothing()


def test_a_crashed_processs_sockets_expire_without_a_goodbye(db):
    key = ("student", "00000000-0000-0000-0000-000000000001")
    # A socket registered by a process that then died: nobody refreshes or removes it.
    presence.backend().add(f"online:{key[0]}:{key[1]}", "specific.dead-process!abc", time.time() + 0.4)
    assert presence.online_keys([key]) == {key}
    time.sleep(0.5)
    assert presence.online_keys([key]) == set()
    # The next socket of that user is the first one again (the user comes online).
    assert presence.socket_connected(key, "specific.alive!1") is True


async def test_ping_gets_pong(ws, tutor):
    t = await ws(tutor)
    await t.send({"type": "ping"})
    assert (await t.next("pong"))["data"]["serverTime"].endswith("Z")


async def test_invalid_frames_get_an_error_and_never_close_anybodys_socket(ws, tutor, student):
    t, s = await ws(tutor), await ws(student)
    await t.next("presence.changed")
    for bad, code in [
        ("not json", "INVALID_JSON"),
        ("[1, 2]", "BAD_MESSAGE"),
        ('{"type": 5}', "BAD_MESSAGE"),
        ('{"type": "shutdown"}', "UNKNOWN_TYPE"),
        ('{"type": "view"}', "LESSON_NOT_FOUND"),
        ('{"type": "view", "lessonId": "not-a-uuid"}', "LESSON_NOT_FOUND"),
        ('{"type": "view", "lessonId": {"$ne": 1}}', "LESSON_NOT_FOUND"),
        ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "MESSAGE_TOO_LARGE"),
    ]:
        await s.comm.send_to(text_data=bad)
        assert (await s.next("error"))["data"]["code"] == code
    await s.comm.send_to(bytes_data=b"\x00\x01")
    assert (await s.next("error"))["data"]["code"] == "BAD_MESSAGE"
    # Both sockets still work.
    for sock in (s, t):
        await sock.send({"type": "ping"})
        await sock.next("pong")
    await t.nothing("presence.changed")


async def test_a_flood_of_frames_is_rate_limited_for_the_sender_only(ws, tutor, student):
    t, s = await ws(tutor), await ws(student)
    for _ in range(70):
        await s.send({"type": "presence"})
    errors = 0
    for _ in range(70):
        frame = await s.comm.receive_json_from(timeout=3)
        errors += frame["type"] == "error" and frame["data"]["code"] == "RATE_LIMITED"
    assert errors == 10
    await t.send({"type": "ping"})
    await t.next("pong")


async def test_viewing_a_lesson_is_shown_to_the_others_who_may_see_it(ws, tutor, student, make_student, make_lesson):
    classmate = await sync_to_async(make_student)("Света", "Соседова", teacher=tutor)
    lesson = await sync_to_async(make_lesson)(tutor, [student, classmate])
    t, s, c = await ws(tutor), await ws(student), await ws(classmate)

    await s.send({"type": "view", "lessonId": str(lesson.id)})
    seen = (await t.next("viewing"))["data"]
    assert seen == {
        "lessonId": str(lesson.id),
        "viewers": [{"role": "student", "profileId": str(student.id), "name": "Иван Иванов"}],
    }
    assert (await s.next("viewing"))["data"] == seen  # the viewer's own tabs see it too
    # Another student of a group lesson is not told who else is looking.
    await c.nothing("viewing")

    await t.send({"type": "view", "lessonId": str(lesson.id)})
    tutor_viewing = {"role": "teacher", "profileId": str(tutor.id), "name": "Анна Петрова"}
    assert (await c.next("viewing"))["data"]["viewers"] == [tutor_viewing]
    assert (await s.next("viewing"))["data"]["viewers"] == [seen["viewers"][0], tutor_viewing]
    assert len((await t.next("viewing"))["data"]["viewers"]) == 2

    await s.close()  # closing the tab stops viewing
    assert (await t.next("viewing"))["data"]["viewers"] == [tutor_viewing]
    await t.send({"type": "unview"})
    assert (await c.next("viewing"))["data"]["viewers"] == []


async def test_a_socket_cannot_view_a_lesson_it_may_not_see(ws, tutor, student, stranger_tutor, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    x, t = await ws(stranger_tutor), await ws(tutor)
    await x.send({"type": "view", "lessonId": str(lesson.id)})
    assert (await x.next("error"))["data"] == {
        "code": "LESSON_NOT_FOUND",
        "message": "no such lesson",
        "lessonId": str(lesson.id),
    }
    await t.nothing("viewing")


async def test_a_parent_sees_the_tutor_viewing_the_childs_lesson(ws, tutor, student, parent, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    p, t = await ws(parent), await ws(tutor)
    await t.send({"type": "view", "lessonId": str(lesson.id)})
    assert (await p.next("viewing"))["data"]["viewers"][0]["role"] == "teacher"
    await t.next("viewing")  # the tutor's own view
    await p.send({"type": "view", "lessonId": str(lesson.id)})
    viewers = (await t.next("viewing"))["data"]["viewers"]
    assert {v["role"] for v in viewers} == {"teacher", "parent"}


async def test_the_snapshot_on_connect_includes_current_viewers(ws, tutor, student, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    t = await ws(tutor)
    await t.send({"type": "view", "lessonId": str(lesson.id)})
    await t.next("viewing")
    s = await ws(student)
    assert s.presence["viewing"] == [
        {
            "lessonId": str(lesson.id),
            "viewers": [{"role": "teacher", "profileId": str(tutor.id), "name": "Анна Петрова"}],
        }
    ]


async def test_rest_presence_mirrors_the_socket_state(ws, api, tutor, student, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    s = await ws(student)
    await s.send({"type": "view", "lessonId": str(lesson.id)})
    await s.send({"type": "ping"})
    await s.next("pong")

    response = await sync_to_async(lambda: api(tutor).get("/api/realtime/presence"))()
    assert response.status_code == 200
    assert response.json() == {
        "contacts": [{"role": "student", "profileId": str(student.id), "name": "Иван Иванов", "online": True}],
        "viewing": [
            {
                "lessonId": str(lesson.id),
                "viewers": [{"role": "student", "profileId": str(student.id), "name": "Иван Иванов"}],
            }
        ],
    }
