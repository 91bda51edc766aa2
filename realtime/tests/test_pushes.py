"""Lesson, people and subscription events reach exactly the sockets that may see them, in their own shape."""

import pytest
from asgiref.sync import sync_to_async

from accounts.models import ParentStudentRelation
from subscriptions.models import Subscription
from tutorcal import events

pytestmark = pytest.mark.django_db(transaction=True)


def fire(signal, **kwargs):
    return sync_to_async(signal.send)(sender=None, **kwargs)


@pytest.fixture
def classmate(make_student, tutor):
    return make_student("Света", "Соседова", teacher=tutor)


async def test_a_lesson_change_reaches_the_tutor_the_students_and_their_parent_but_no_stranger(
    ws, tutor, student, classmate, parent, stranger_tutor, make_lesson
):
    lesson = await sync_to_async(make_lesson)(tutor, [student, classmate])
    t, s, c, p, x = [await ws(who) for who in (tutor, student, classmate, parent, stranger_tutor)]

    await fire(events.lesson_updated, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher", moved=True)

    to_tutor = (await t.next("lesson.updated"))["data"]
    assert to_tutor["lessonIds"] == [str(lesson.id)] and to_tutor["moved"] is True and to_tutor["actor"] == "teacher"
    assert {row["studentId"] for row in to_tutor["lessons"][0]["students"]} == {str(student.id), str(classmate.id)}
    frames = {sock: await sock.next("lesson.updated") for sock in (s, c)}
    for sock, other in ((s, classmate), (c, student)):
        lesson_seen = frames[sock]["data"]["lessons"][0]
        assert lesson_seen["id"] == str(lesson.id) and lesson_seen["otherStudentsCount"] == 1
        # A student never sees the other student's name or id.
        assert other.user.last_name not in str(frames[sock]) and str(other.id) not in str(frames[sock])
    to_parent = (await p.next("lesson.updated"))["data"]
    assert to_parent["studentId"] == str(student.id) and to_parent["lessonIds"] == [str(lesson.id)]
    await x.nothing()


async def test_students_payload_never_names_other_students(ws, tutor, student, classmate, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student, classmate])
    s = await ws(student)
    await fire(events.lesson_completed, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
    frame = await s.next("lesson.completed")
    text = str(frame)
    assert "Света" not in text and "Соседова" not in text and str(classmate.id) not in text


async def test_a_created_lesson_reaches_only_its_own_tutor(ws, tutor, student, stranger_tutor, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    t, x = await ws(tutor), await ws(stranger_tutor)
    await fire(events.lesson_created, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
    assert (await t.next("lesson.created"))["data"]["lessons"][0]["id"] == str(lesson.id)
    await x.nothing()


async def test_a_deleted_lesson_is_described_by_its_snapshot(ws, tutor, student, classmate, parent):
    lesson_id = "3f1c1d7e-8f7e-4a44-9b4e-5b1b8c2f0a11"
    snapshot = {
        "id": lesson_id,
        "startAt": "2030-01-15T10:00:00.000Z",
        "studentIds": [str(student.id), str(classmate.id)],
        "subjectName": "Алгебра",
    }
    t, s, p = await ws(tutor), await ws(student), await ws(parent)
    await fire(
        events.lesson_deleted, lesson_ids=[lesson_id], teacher_id=tutor.id, actor="teacher", snapshots=[snapshot]
    )
    to_tutor = (await t.next("lesson.deleted"))["data"]
    assert to_tutor["lessons"] == [snapshot]
    to_student = (await s.next("lesson.deleted"))["data"]
    assert to_student["lessons"] == [{"id": lesson_id, "startAt": "2030-01-15T10:00:00.000Z", "subjectName": "Алгебра"}]
    assert (await p.next("lesson.deleted"))["data"]["studentId"] == str(student.id)


async def test_a_cancel_by_one_student_of_a_group_reaches_only_that_student(ws, tutor, student, classmate, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student, classmate])
    t, s, c = await ws(tutor), await ws(student), await ws(classmate)
    await fire(
        events.lesson_cancelled,
        lesson_ids=[lesson.id],
        teacher_id=tutor.id,
        actor="student",
        student_ids=[student.id],
    )
    await t.next("lesson.cancelled")
    await s.next("lesson.cancelled")
    await c.nothing("lesson.cancelled")


async def test_students_added_to_a_lesson_see_it_as_created_and_the_tutor_as_updated(
    ws, tutor, student, classmate, make_lesson
):
    lesson = await sync_to_async(make_lesson)(tutor, [student, classmate])
    t, s, c = await ws(tutor), await ws(student), await ws(classmate)
    await fire(events.lesson_students_added, lesson_id=lesson.id, teacher_id=tutor.id, student_ids=[classmate.id])
    await t.next("lesson.updated")
    assert (await c.next("lesson.created"))["data"]["lessonIds"] == [str(lesson.id)]
    await s.nothing()


async def test_a_parent_without_a_relation_to_that_tutor_gets_nothing(
    ws, tutor, student, parent, stranger_tutor, make_lesson
):
    # The parent follows the child only through `tutor`; a lesson of another tutor with the child stays private.
    lesson = await sync_to_async(make_lesson)(stranger_tutor, [student])
    p = await ws(parent)
    await fire(events.lesson_created, lesson_ids=[lesson.id], teacher_id=stranger_tutor.id, actor="teacher")
    await p.nothing()


async def test_a_removed_parent_relation_stops_the_pushes(ws, tutor, student, parent, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    p = await ws(parent)
    await sync_to_async(ParentStudentRelation.objects.filter(parent=parent.profile).delete)()
    await fire(events.lesson_updated, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
    await p.nothing()


async def test_student_joined_and_archived_reach_the_tutor(ws, tutor, student, stranger_tutor):
    t, x = await ws(tutor), await ws(stranger_tutor)
    await fire(events.student_joined, teacher_id=tutor.id, student_id=student.id, via="telegram", restored=False)
    joined = (await t.next("student.joined"))["data"]
    assert joined["studentId"] == str(student.id) and joined["via"] == "telegram"
    assert joined["student"]["firstName"] == "Иван"
    await fire(events.student_archived, teacher_id=tutor.id, student_id=student.id)
    assert (await t.next("student.archived"))["data"]["studentId"] == str(student.id)
    await x.nothing()


async def test_subscription_updates_reach_the_tutor_and_the_student_only(ws, tutor, student, classmate):
    sub = await sync_to_async(Subscription.objects.create)(
        teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=8, used_lessons=3
    )
    t, s, c = await ws(tutor), await ws(student), await ws(classmate)
    await fire(events.subscription_updated, teacher_id=tutor.id, student_id=student.id, subscription_id=sub.id)
    to_tutor = (await t.next("subscription.updated"))["data"]
    assert to_tutor["studentId"] == str(student.id)
    assert to_tutor["subscription"]["remainingLessons"] == 5
    to_student = (await s.next("subscription.updated"))["data"]
    assert to_student["subscription"]["teacherId"] == str(tutor.id)
    await c.nothing()


async def test_every_tab_of_a_user_receives_the_push(ws, tutor, student, make_lesson):
    lesson = await sync_to_async(make_lesson)(tutor, [student])
    tabs = [await ws(tutor) for _ in range(3)]
    await fire(events.lesson_updated, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
    for tab in tabs:
        await tab.next("lesson.updated")


async def test_a_push_is_sent_only_when_the_change_commits(ws, tutor, make_lesson):
    """Receivers run inside the announcing transaction (tutorcal.events.announce); the push waits for the
    commit, so a rolled-back change is never pushed."""
    from django.db import transaction

    lesson = await sync_to_async(make_lesson)(tutor, [])
    t = await ws(tutor)

    def change(commit: bool):
        try:
            with transaction.atomic():
                events.announce(events.lesson_updated, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
                if not commit:
                    raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    await sync_to_async(change)(False)
    await t.nothing("lesson.updated")
    await sync_to_async(change)(True)
    assert (await t.next("lesson.updated"))["data"]["lessonIds"] == [str(lesson.id)]
