"""One-tap lesson marking from the end-of-lesson prompt."""

from datetime import timedelta

import pytest
from django.utils import timezone

from botapp import texts
from botapp.services import marking
from lessons.models import Lesson, LessonStudent
from subscriptions.models import Subscription

from .conftest import callback_update

pytestmark = pytest.mark.django_db


def buttons(markup):
    return [b for line in (markup or {}).get("inline_keyboard", []) for b in line]


def data_for(lesson, student, code):
    return marking.mark_callback_data(lesson.id, student.profile.id, code)


@pytest.fixture
def ended(make_lesson, tutor, student):
    return make_lesson(tutor, [student], start=timezone.now() - timedelta(minutes=70), minutes=60)


def test_callback_data_fits_telegrams_64_bytes(ended, student):
    for code in "pusx":
        data = data_for(ended, student, code)
        assert len(data.encode()) <= 64
        assert marking.parse_mark_callback(data) == (ended.id, student.profile.id, code)
    assert marking.parse_mark_callback("m:garbage") is None
    assert marking.parse_mark_callback("m:a:b:p") is None


def test_the_tutor_marks_attended_and_paid_in_one_tap(post_update, fake_tg, tutor, student, ended):
    response = post_update(callback_update(tutor, data_for(ended, student, "p")))
    assert response.status_code == 200
    ended.refresh_from_db()
    row = LessonStudent.objects.get(lesson=ended)
    assert ended.status == "done" and row.attendance == "attended" and row.payment_status == "paid"
    [answer] = fake_tg.methods("answerCallbackQuery")
    assert answer.params["text"] == texts.MARKED
    [edit] = fake_tg.methods("editMessageText")
    assert "был, оплачено" in edit.params["text"]
    assert "reply_markup" not in edit.params or not buttons(edit.reply_markup)


def test_attended_unpaid_and_missed(post_update, fake_tg, tutor, student, make_student, make_lesson):
    other = make_student("Ольга", "Смирнова", teacher=tutor)
    lesson = make_lesson(tutor, [student, other], start=timezone.now() - timedelta(hours=2))
    post_update(callback_update(tutor, data_for(lesson, student, "u")))
    edit = fake_tg.methods("editMessageText")[-1]
    # Group lesson: the other student still has buttons.
    assert {b["text"].split(" ", 1)[1] for b in buttons(edit.reply_markup)} == {"Ольга"}
    post_update(callback_update(tutor, data_for(lesson, other, "x")))
    rows = {r.student_id: r for r in LessonStudent.objects.filter(lesson=lesson)}
    assert rows[student.profile.id].attendance == "attended" and rows[student.profile.id].payment_status == "unpaid"
    assert rows[other.profile.id].attendance == "missed"
    final = fake_tg.methods("editMessageText")[-1]
    assert "пропустил" in final.params["text"] and not buttons(final.reply_markup)


def test_someone_else_pressing_gets_an_alert_and_changes_nothing(post_update, fake_tg, student, stranger_tutor, ended):
    post_update(callback_update(stranger_tutor, data_for(ended, student, "p")))
    post_update(callback_update(student, data_for(ended, student, "p")))
    ended.refresh_from_db()
    assert ended.status == "planned"
    answers = fake_tg.methods("answerCallbackQuery")
    assert [a.params["text"] for a in answers] == [texts.NOT_YOUR_BUTTON] * 2
    assert all(a.params["show_alert"] in ("true", "True", True) for a in answers)
    assert fake_tg.methods("editMessageText") == []


def test_pressing_twice_changes_nothing(post_update, fake_tg, tutor, student, ended):
    post_update(callback_update(tutor, data_for(ended, student, "p")))
    first = LessonStudent.objects.get(lesson=ended).updated_at
    post_update(callback_update(tutor, data_for(ended, student, "p")))
    assert LessonStudent.objects.get(lesson=ended).updated_at == first
    assert fake_tg.methods("answerCallbackQuery")[-1].params["text"] == texts.ALREADY_MARKED


def test_a_cancelled_lesson_cannot_be_marked(post_update, fake_tg, tutor, student, ended):
    Lesson.objects.filter(pk=ended.pk).update(status="cancelled")
    post_update(callback_update(tutor, data_for(ended, student, "p")))
    assert fake_tg.methods("answerCallbackQuery")[-1].params["text"] == texts.LESSON_IS_CANCELLED
    assert LessonStudent.objects.get(lesson=ended).attendance == "unknown"


def test_a_deleted_lesson_or_forged_data_gets_an_alert(post_update, fake_tg, tutor, student, ended):
    data = data_for(ended, student, "p")
    ended.delete()
    post_update(callback_update(tutor, data))
    post_update(callback_update(tutor, "m:zzzz:zzzz:p"))
    assert [a.params["text"] for a in fake_tg.methods("answerCallbackQuery")] == [texts.LESSON_GONE] * 2


def test_an_active_subscription_is_used_when_offered(post_update, fake_tg, tutor, student, make_lesson):
    sub = Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=5)
    lesson = make_lesson(tutor, [student], start=timezone.now() - timedelta(hours=2))
    text, markup = marking.prompt_render(Lesson.objects.get(pk=lesson.pk), tutor.user.timezone)
    assert [b["text"] for b in buttons(markup)] == ["🎫 Был, по абонементу", "❌ Пропустил"]
    post_update(callback_update(tutor, data_for(lesson, student, "s")))
    post_update(callback_update(tutor, data_for(lesson, student, "s")))
    sub.refresh_from_db()
    row = LessonStudent.objects.get(lesson=lesson)
    assert sub.used_lessons == 1 and row.paid_from_subscription
    # Switching to missed refunds it (the calendar service's rule).
    post_update(callback_update(tutor, data_for(lesson, student, "x")))
    sub.refresh_from_db()
    assert sub.used_lessons == 0


def test_marking_runs_a_constant_number_of_queries(
    post_update, fake_tg, tutor, make_student, make_lesson, django_assert_max_num_queries
):
    s1, s2 = make_student("A", "B", teacher=tutor), make_student("C", "D", teacher=tutor)
    small = make_lesson(tutor, [s1, s2], start=timezone.now() - timedelta(hours=2))
    with django_assert_max_num_queries(40) as one:
        post_update(callback_update(tutor, data_for(small, s1, "p")))
    many = [make_student(f"M{i}", "B", teacher=tutor) for i in range(10)]
    big = make_lesson(tutor, many, start=timezone.now() - timedelta(hours=2))
    with django_assert_max_num_queries(len(one.captured_queries)):
        post_update(callback_update(tutor, data_for(big, many[0], "p")))
