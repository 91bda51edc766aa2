"""Notification settings endpoints, gates, and every notification type queued in the outbox (exactly once)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ParentStudentRelation, StudentNotificationSettings
from botapp.models import EventType, Outbox, UserNotificationSettings
from botapp.services import notify, preferences, producers
from lessons.models import LessonStudent
from tutorcal import events
from tutorcal.timeutil import iso

from .conftest import notifications_on

pytestmark = pytest.mark.django_db


def pending(event_type=None, **filters):
    qs = Outbox.objects.filter(status="pending", **filters)
    if event_type:
        qs = qs.filter(event_type=event_type)
    return list(qs.order_by("id"))


# ---- settings endpoints ---------------------------------------------------------------------------------


def test_get_notifications_creates_default_settings(api, student):
    response = api(student).get("/api/bot/notifications")
    assert response.status_code == 200
    assert response.json() == {
        "notificationsAsked": False,
        "notificationsEnabled": False,
        "lessonCreatedEnabled": True,
        "lessonRescheduledEnabled": True,
        "lessonCancelledEnabled": True,
        "lessonReminderEnabled": True,
        "lessonPromptEnabled": True,
        "newStudentEnabled": True,
        "lessonBalanceEnabled": True,
        "packageEndingEnabled": True,
        "waitlistPromotedEnabled": True,
        "morningDigestEnabled": True,
    }
    assert UserNotificationSettings.objects.filter(user=student.user).exists()


def test_initial_and_toggle_set_asked_and_the_master_switch(api, student):
    client = api(student)
    assert client.post("/api/bot/notifications/initial", {"granted": True}, format="json").json() == {"success": True}
    row = UserNotificationSettings.objects.get(user=student.user)
    assert row.notifications_asked and row.notifications_enabled
    client.post("/api/bot/notifications/toggle", {"enabled": False}, format="json")
    row.refresh_from_db()
    assert row.notifications_asked and not row.notifications_enabled


def test_preference_updates_one_type_and_rejects_unknown_types(api, student):
    client = api(student)
    ok = client.post(
        "/api/bot/notifications/preference", {"eventType": "lesson_reminder", "enabled": False}, format="json"
    )
    assert ok.status_code == 200
    assert client.get("/api/bot/notifications").json()["lessonReminderEnabled"] is False
    bad = client.post("/api/bot/notifications/preference", {"eventType": "nope", "enabled": False}, format="json")
    assert bad.status_code == 400


def test_preferences_updates_several_types_at_once(api, tutor):
    response = api(tutor).post(
        "/api/bot/notifications/preferences",
        {"preferences": {"lesson_created": False, "lesson_prompt": False}, "isStaff": True},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()["settings"]
    assert body["lessonCreatedEnabled"] is False and body["lessonPromptEnabled"] is False
    assert body["lessonReminderEnabled"] is True
    assert (
        api(tutor).post("/api/bot/notifications/preferences", {"preferences": {"x": True}}, format="json").status_code
        == 400
    )
    assert api(tutor).post("/api/bot/notifications/preferences", {"preferences": "x"}, format="json").status_code == 400


@pytest.mark.parametrize("body", [{}, {"granted": "maybe"}, {"granted": None}])
def test_settings_bodies_are_validated(api, student, body):
    assert api(student).post("/api/bot/notifications/initial", body, format="json").status_code == 400


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/bot/notifications"),
        ("post", "/api/bot/notifications/initial"),
        ("post", "/api/bot/notifications/toggle"),
        ("post", "/api/bot/notifications/preference"),
        ("post", "/api/bot/notifications/preferences"),
    ],
)
def test_settings_endpoints_need_a_token(api, method, path):
    assert getattr(api(), method)(path, {}, format="json").status_code == 401


def test_settings_endpoints_run_a_constant_number_of_queries(api, student, django_assert_max_num_queries):
    client = api(student)  # signing in is not part of the endpoints
    with django_assert_max_num_queries(6):
        client.get("/api/bot/notifications")
    with django_assert_max_num_queries(8):
        client.post(
            "/api/bot/notifications/preferences",
            {"preferences": {t: False for t in ["lesson_created", "lesson_reminder", "lesson_cancelled"]}},
            format="json",
        )


# ---- gates ----------------------------------------------------------------------------------------------


def test_gate_needs_the_master_switch_and_the_type_flag_for_lesson_messages():
    row = UserNotificationSettings(notifications_enabled=False)
    assert not preferences.gate(None, EventType.LESSON_CREATED)
    assert not preferences.gate(row, EventType.LESSON_CREATED)
    row.notifications_enabled = True
    assert preferences.gate(row, EventType.LESSON_CREATED)
    row.lesson_created_enabled = False
    assert not preferences.gate(row, EventType.LESSON_CREATED)


def test_service_messages_skip_the_master_switch_but_not_a_blocked_chat():
    assert preferences.gate(None, EventType.WELCOME)
    assert preferences.gate(UserNotificationSettings(notifications_enabled=False), EventType.NEW_STUDENT)
    assert not preferences.gate(UserNotificationSettings(new_student_enabled=False), EventType.NEW_STUDENT)
    assert not preferences.gate(UserNotificationSettings(bot_blocked_at=timezone.now()), EventType.WELCOME)


# ---- lesson events through the calendar API --------------------------------------------------------------


def create_lesson(api, tutor, students, start, capture, **extra):
    body = {
        "startAt": iso(start),
        "durationMinutes": 60,
        "studentIds": [str(s.id) for s in students],
        "priceRub": 1000,
        **extra,
    }
    with capture(execute=True):
        response = api(tutor).post("/api/teachers/me/lessons", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_new_lesson_notifies_its_students_in_their_time_zone(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(student)
    student.user.timezone = "Asia/Tokyo"
    student.user.save()
    start = (timezone.now() + timedelta(days=2)).replace(hour=6, minute=0, second=0, microsecond=0)
    lesson = create_lesson(
        api, tutor, [student], start, django_capture_on_commit_callbacks, meetingUrl="https://m.example.com/?a=1&b=<2>"
    )
    [row] = pending(EventType.LESSON_CREATED)
    assert row.chat_id == student.user.telegram_id and str(row.lesson_id) == lesson["id"]
    assert "15:00" in row.text  # 06:00 UTC in Tokyo
    assert "Анна Петрова" in row.text and "&amp;" in row.text and "<2>" not in row.text
    assert row.reply_markup["inline_keyboard"][0][0]["web_app"]


def test_a_student_who_did_not_allow_notifications_gets_a_skipped_row(
    api, tutor, student, django_capture_on_commit_callbacks
):
    create_lesson(api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks)
    [row] = Outbox.objects.filter(event_type=EventType.LESSON_CREATED)
    assert row.status == "skipped"


def test_the_lesson_created_flag_switches_that_type_off(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(student, lesson_created_enabled=False)
    create_lesson(api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks)
    assert pending(EventType.LESSON_CREATED) == []


def test_parents_get_a_copy_when_their_relation_allows_it(
    api, tutor, student, parent, django_capture_on_commit_callbacks
):
    notifications_on(student, parent)
    create_lesson(api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks)
    rows = pending(EventType.LESSON_CREATED)
    assert {r.chat_id for r in rows} == {student.user.telegram_id, parent.user.telegram_id}
    parent_row = next(r for r in rows if r.chat_id == parent.user.telegram_id)
    assert "Иван Иванов" in parent_row.text


def test_parents_get_nothing_when_the_relation_is_muted(
    api, tutor, student, parent, django_capture_on_commit_callbacks
):
    notifications_on(student, parent)
    ParentStudentRelation.objects.update(notifications_enabled=False)
    create_lesson(api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks)
    assert [r.chat_id for r in pending(EventType.LESSON_CREATED)] == [student.user.telegram_id]


def test_a_series_gives_each_student_one_summary(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(student)
    start = timezone.now() + timedelta(days=1)
    create_lesson(
        api, tutor, [student], start, django_capture_on_commit_callbacks, recurrence={"frequency": "weekly", "count": 8}
    )
    [row] = pending(EventType.LESSON_CREATED)
    assert "Новые занятия: 8" in row.text


def test_a_series_partly_in_the_past_summarises_only_future_lessons_for_students_and_parents(
    api, tutor, student, parent, make_student, django_capture_on_commit_callbacks
):
    other = make_student("Оля", "Группа", teacher=tutor)
    notifications_on(student, other, parent)
    start = timezone.now() - timedelta(days=15)  # weekly x5: three lessons in the past, two ahead
    create_lesson(
        api,
        tutor,
        [student, other],
        start,
        django_capture_on_commit_callbacks,
        recurrence={"frequency": "weekly", "count": 5},
    )
    rows = pending(EventType.LESSON_CREATED)
    assert sorted(r.chat_id for r in rows) == sorted(
        [student.user.telegram_id, other.user.telegram_id, parent.user.telegram_id]
    )
    first_future = start + timedelta(days=21)
    for row in rows:
        assert "Новые занятия: 2" in row.text
        assert abs((row.lesson_start - first_future).total_seconds()) < 1
    [copy] = [r for r in rows if r.chat_id == parent.user.telegram_id]
    assert "Иван" in copy.text  # the parent hears about their child only


def test_past_lessons_notify_nobody(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(student)
    create_lesson(api, tutor, [student], timezone.now() - timedelta(days=1), django_capture_on_commit_callbacks)
    assert not Outbox.objects.exists()


def test_moving_a_lesson_notifies_rescheduled_with_the_old_time(
    api, tutor, student, django_capture_on_commit_callbacks
):
    notifications_on(student)
    start = (timezone.now() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    lesson = create_lesson(api, tutor, [student], start, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(tutor).patch(
            f"/api/teachers/me/lessons/{lesson['id']}", {"startAt": iso(start + timedelta(hours=2))}, format="json"
        )
    assert r.status_code == 200, r.content
    [row] = pending(EventType.LESSON_RESCHEDULED)
    assert "перенесено" in row.text and "<s>" in row.text and "14:00" in row.text and "12:00" in row.text
    # Editing something else is not a reschedule.
    with django_capture_on_commit_callbacks(execute=True):
        api(tutor).patch(f"/api/teachers/me/lessons/{lesson['id']}", {"teacherNote": "x"}, format="json")
    assert len(pending(EventType.LESSON_RESCHEDULED)) == 1


def test_a_tutor_cancelling_notifies_students_and_parents(
    api, tutor, student, parent, django_capture_on_commit_callbacks
):
    notifications_on(student, parent)
    lesson = create_lesson(
        api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = api(tutor).patch(f"/api/teachers/me/lessons/{lesson['id']}", {"status": "cancelled"}, format="json")
    assert r.status_code == 200, r.content
    rows = pending(EventType.LESSON_CANCELLED)
    assert {r.chat_id for r in rows} == {student.user.telegram_id, parent.user.telegram_id}
    assert all("отменено" in r.text for r in rows)


def test_a_student_cancelling_notifies_the_tutor(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(tutor, student)
    lesson = create_lesson(
        api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = api(student).post(f"/api/students/me/lessons/{lesson['id']}/cancel", {}, format="json")
    assert r.status_code in (200, 201), r.content
    [row] = pending(EventType.LESSON_CANCELLED)
    assert row.chat_id == tutor.user.telegram_id
    assert "Иван Иванов" in row.text and "отменил(а) занятие" in row.text


def test_deleting_a_future_lesson_reads_as_cancelled(api, tutor, student, django_capture_on_commit_callbacks):
    notifications_on(student)
    lesson = create_lesson(
        api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert api(tutor).delete(f"/api/teachers/me/lessons/{lesson['id']}").status_code in (200, 204)
    [row] = pending(EventType.LESSON_CANCELLED)
    assert row.chat_id == student.user.telegram_id and "отменено" in row.text


def test_adding_a_student_to_a_lesson_notifies_only_the_newcomer(
    api, tutor, student, make_student, django_capture_on_commit_callbacks
):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    notifications_on(student, other)
    lesson = create_lesson(
        api, tutor, [student], timezone.now() + timedelta(days=1), django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        r = api(tutor).patch(
            f"/api/teachers/me/lessons/{lesson['id']}", {"studentIds": [str(student.id), str(other.id)]}, format="json"
        )
    assert r.status_code == 200, r.content
    rows = pending(EventType.LESSON_CREATED)
    assert [r.chat_id for r in rows] == [student.user.telegram_id, other.user.telegram_id]


def test_the_same_event_twice_queues_one_message(tutor, student, make_lesson):
    notifications_on(student)
    lesson = make_lesson(tutor, [student])
    for _ in range(2):
        events.lesson_created.send(sender=None, lesson_ids=[lesson.id], teacher_id=tutor.id, actor="teacher")
    assert len(pending(EventType.LESSON_CREATED)) == 1


def test_queueing_a_big_event_runs_a_constant_number_of_queries(
    tutor, make_student, make_lesson, django_assert_max_num_queries
):
    def run(n_students, n_lessons):
        students = [make_student(f"S{n_students}{i}", "X", teacher=tutor) for i in range(n_students)]
        notifications_on(*students)
        ids = [make_lesson(tutor, students, start=timezone.now() + timedelta(days=1 + i)).id for i in range(n_lessons)]
        return ids

    one = run(1, 2)  # several lessons: the series path (first lesson per student + a count)
    with django_assert_max_num_queries(8) as small:
        notify.notify_lessons_created(lesson_ids=one)
    many = run(10, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        notify.notify_lessons_created(lesson_ids=many)


# ---- joins and registrations ------------------------------------------------------------------------


def test_a_join_notifies_the_tutor_and_welcomes_the_student(tutor, student):
    events.student_joined.send(sender=None, teacher_id=tutor.id, student_id=student.id, via="telegram", restored=False)
    [new] = pending(EventType.NEW_STUDENT)
    [welcome] = pending(EventType.WELCOME)
    assert new.chat_id == tutor.user.telegram_id and "Иван Иванов" in new.text
    assert welcome.chat_id == student.user.telegram_id and "Анна Петрова" in welcome.text


def test_a_web_join_sends_no_welcome(tutor, student):
    events.student_joined.send(sender=None, teacher_id=tutor.id, student_id=student.id, via="web", restored=False)
    assert pending(EventType.WELCOME) == [] and len(pending(EventType.NEW_STUDENT)) == 1


def test_a_parent_join_welcomes_the_parent(parent, student, tutor):
    events.parent_joined.send(
        sender=None, parent_id=parent.id, student_id=student.id, teacher_ids=[tutor.id], via="telegram"
    )
    [row] = pending(EventType.WELCOME)
    assert row.chat_id == parent.user.telegram_id and "родитель" in row.text


def test_registration_sends_a_welcome_by_role(tutor):
    events.user_registered.send(sender=None, user_id=tutor.user.pk, role="teacher")
    [row] = pending(EventType.WELCOME)
    assert "преподаватель" in row.text


def test_ids_that_name_no_lesson_queue_nothing_and_break_nothing(tutor):
    # Receivers run inside the caller's transaction and their errors propagate (botapp/receivers.py), so
    # ids that are not lessons must simply name nobody.
    events.announce(events.lesson_created, lesson_ids=["not-a-uuid"], teacher_id=tutor.id, actor="x")
    events.announce(events.lesson_cancelled, lesson_ids=[tutor.id], teacher_id=tutor.id, actor="student")
    assert not Outbox.objects.exists()


# ---- reminders ------------------------------------------------------------------------------------------


def test_a_reminder_is_queued_60_minutes_before_by_default(tutor, student, make_lesson):
    notifications_on(student)
    now = timezone.now()
    make_lesson(tutor, [student], start=now + timedelta(minutes=61))
    assert producers.reminders_enqueue(now=now) == 0
    assert producers.reminders_enqueue(now=now + timedelta(minutes=2)) == 1
    [row] = pending(EventType.LESSON_REMINDER)
    assert "через 1 час" in row.text and row.chat_id == student.user.telegram_id


def test_the_reminder_lead_comes_from_the_row_then_the_students_default(tutor, student, make_student, make_lesson):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    notifications_on(student, other)
    StudentNotificationSettings.objects.create(student=other.profile, default_reminder_minutes_before=15)
    now = timezone.now()
    lesson = make_lesson(tutor, [student, other], start=now + timedelta(minutes=100))
    LessonStudent.objects.filter(lesson=lesson, student=student.profile).update(reminder_minutes_before=120)
    producers.reminders_enqueue(now=now)
    assert [r.chat_id for r in pending(EventType.LESSON_REMINDER)] == [student.user.telegram_id]
    producers.reminders_enqueue(now=now + timedelta(minutes=86))
    assert {r.chat_id for r in pending(EventType.LESSON_REMINDER)} == {student.user.telegram_id, other.user.telegram_id}
    assert "через 15 мин" in pending(EventType.LESSON_REMINDER, chat_id=other.user.telegram_id)[0].text


def test_reminders_are_never_queued_twice(tutor, student, parent, make_lesson):
    notifications_on(student, parent)
    now = timezone.now()
    make_lesson(tutor, [student], start=now + timedelta(minutes=30))
    assert producers.reminders_enqueue(now=now) == 2  # the student and a copy for the parent
    assert producers.reminders_enqueue(now=now) == 0
    assert producers.reminders_enqueue(now=now + timedelta(minutes=1)) == 0
    assert Outbox.objects.filter(event_type=EventType.LESSON_REMINDER).count() == 2


def test_a_moved_lesson_is_reminded_again_for_its_new_time(tutor, student, make_lesson):
    notifications_on(student)
    now = timezone.now()
    lesson = make_lesson(tutor, [student], start=now + timedelta(minutes=30))
    producers.reminders_enqueue(now=now)
    lesson.start_at = now + timedelta(minutes=50)
    lesson.save()
    assert producers.reminders_enqueue(now=now) == 1


def test_no_reminder_for_cancelled_lessons_cancelled_rows_or_students_who_turned_reminders_off(
    tutor, student, make_student, make_lesson
):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    third = make_student("Пётр", "Третий", teacher=tutor)
    notifications_on(student, other, third)
    now = timezone.now()
    make_lesson(tutor, [student], start=now + timedelta(minutes=30), status="cancelled")
    lesson = make_lesson(tutor, [other, third], start=now + timedelta(minutes=30))
    LessonStudent.objects.filter(lesson=lesson, student=other.profile).update(attendance="cancelled")
    StudentNotificationSettings.objects.create(student=third.profile, enable_lesson_reminders=False)
    assert producers.reminders_enqueue(now=now) == 0


def test_a_reminder_for_a_muted_user_is_recorded_as_skipped(tutor, student, make_lesson):
    now = timezone.now()
    make_lesson(tutor, [student], start=now + timedelta(minutes=30))
    producers.reminders_enqueue(now=now)
    assert Outbox.objects.get().status == "skipped"
    assert producers.reminders_enqueue(now=now) == 0


def test_the_reminder_job_runs_a_constant_number_of_queries(
    tutor, make_student, make_lesson, django_assert_max_num_queries
):
    now = timezone.now()
    s1 = make_student("A", "B", teacher=tutor)
    notifications_on(s1)
    make_lesson(tutor, [s1], start=now + timedelta(minutes=20))
    with django_assert_max_num_queries(6) as small:
        producers.reminders_enqueue(now=now)
    many = [make_student(f"M{i}", "B", teacher=tutor) for i in range(10)]
    notifications_on(*many)
    # 40 rows: SQLite splits one INSERT at 999 parameters (49 outbox rows); PostgreSQL never does
    for i in range(4):
        make_lesson(tutor, many, start=now + timedelta(minutes=10 + i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert producers.reminders_enqueue(now=now) == 40


# ---- end-of-lesson prompts -----------------------------------------------------------------------------


def test_the_tutor_is_asked_how_it_went_once_the_lesson_ends(tutor, student, make_lesson):
    notifications_on(tutor)
    now = timezone.now()
    make_lesson(tutor, [student], start=now - timedelta(minutes=50), minutes=60)
    assert producers.prompts_enqueue(now=now) == 0
    assert producers.prompts_enqueue(now=now + timedelta(minutes=11)) == 1
    assert producers.prompts_enqueue(now=now + timedelta(minutes=12)) == 0
    [row] = pending(EventType.LESSON_PROMPT)
    assert row.chat_id == tutor.user.telegram_id and "Как прошло занятие" in row.text
    labels = [b["text"] for line in row.reply_markup["inline_keyboard"] for b in line]
    assert labels == ["✅ Был, оплачено", "💸 Был, не оплачено", "❌ Пропустил"]


def test_no_prompt_for_old_done_or_studentless_lessons(tutor, student, make_lesson):
    notifications_on(tutor)
    now = timezone.now()
    make_lesson(tutor, [student], start=now - timedelta(hours=20))
    make_lesson(tutor, [student], start=now - timedelta(hours=2), status="done")
    make_lesson(tutor, [], start=now - timedelta(hours=2))
    producers.prompts_enqueue(now=now)
    assert pending(EventType.LESSON_PROMPT) == []


def test_prompts_cost_the_same_queries_for_1_or_20_ended_lessons(
    tutor, stranger_tutor, make_student, make_lesson, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subscriptions.models import Subscription

    notifications_on(tutor, stranger_tutor)
    now = timezone.now()

    def ended_lessons(count: int, offset: int) -> None:
        for i in range(count):
            teacher = tutor if i % 2 == 0 else stranger_tutor
            pupil = make_student(f"П{offset + i}", "Промптов", teacher=teacher)
            if i % 4 < 2:  # half the students have a package: their prompt offers "paid from the package"
                Subscription.objects.create(
                    teacher=teacher.profile, student=pupil.profile, type="lessons", total_lessons=8
                )
            make_lesson(teacher, [pupil], start=now - timedelta(minutes=70 + offset + i), minutes=60)

    ended_lessons(1, 0)
    with CaptureQueriesContext(connection) as one:
        assert producers.prompts_enqueue(now=now) == 1
    ended_lessons(20, 100)
    with django_assert_num_queries(len(one.captured_queries)):
        assert producers.prompts_enqueue(now=now) == 20
    prompts = pending(EventType.LESSON_PROMPT)
    codes = [[b["callback_data"][-1] for line in p.reply_markup["inline_keyboard"] for b in line] for p in prompts]
    assert len(prompts) == 21
    assert sum(c == ["s", "x"] for c in codes) == 11 and sum(c == ["p", "u", "x"] for c in codes) == 10
