"""Selectors of the people area used by other apps (bot /debts, realtime pushes) and the shared rules:
debt (B21), cancellations by who cancelled (B5), streaks (B4) and achievements (B20)."""

import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import ParentStudentRelation, TeacherStudentLink
from lessons.roster.selectors.links import teacher_ids_visible_to_parent
from lessons.roster.selectors.student_teachers import student_stats_with_teacher
from lessons.selectors.debts import teacher_debts
from lessons.selectors.progress import compute_streak, student_stats
from lessons.selectors.stats import rate, zone_of
from lessons.selectors.student_lessons import parent_lesson_dicts, student_lesson_dicts
from lessons.tests.factories import LessonFactory, SubjectFactory
from tutorcal.timeutil import iso

pytestmark = pytest.mark.django_db


def test_teacher_debts_counts_only_attended_unpaid_fixed_priced_rows_of_done_lessons(tutor, student, make_student):
    other = make_student("Оля", "Смирнова", teacher=tutor)
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended", price=1500
    )
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-2, status="done", attendance="attended", price=500
    )
    # Not debt: paid, missed, zero price, free/subscription, not done.
    LessonFactory(
        teacher=tutor.profile,
        students=[student.profile],
        days=-4,
        status="done",
        attendance="attended",
        payment_status="paid",
    )
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-5, status="done", attendance="missed")
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-6, status="done", attendance="attended", price=0
    )
    LessonFactory(
        teacher=tutor.profile,
        students=[student.profile],
        days=-7,
        status="done",
        attendance="attended",
        payment_type="free",
    )
    LessonFactory(
        teacher=tutor.profile,
        students=[other.profile],
        days=-7,
        status="done",
        attendance="attended",
        payment_type="subscription",
    )
    LessonFactory(teacher=tutor.profile, students=[other.profile], days=-1, status="planned", attendance="attended")
    LessonFactory(
        teacher=tutor.profile, students=[other.profile], days=-8, status="done", attendance="attended", price=700
    )

    assert teacher_debts(teacher_id=tutor.id) == [
        {"studentId": str(student.id), "name": "Иван Иванов", "unpaidLessonsCount": 2, "unpaidAmountRub": 2000},
        {"studentId": str(other.id), "name": "Оля Смирнова", "unpaidLessonsCount": 1, "unpaidAmountRub": 700},
    ]


def test_teacher_debts_leave_out_archived_students_and_other_teachers(tutor, student, stranger_tutor):
    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=student.profile)
    LessonFactory(
        teacher=stranger_tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended"
    )
    assert teacher_debts(teacher_id=tutor.id) == []
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended")
    TeacherStudentLink.objects.filter(teacher=tutor.profile).update(archived_at=timezone.now())
    assert teacher_debts(teacher_id=tutor.id) == []


def test_attendance_stats_count_cancellations_by_who_cancelled(tutor, student, make_student):
    other = make_student("Оля", teacher=tutor)
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-1, status="done", attendance="attended")
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-2, status="done", attendance="missed")
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-3, status="done", attendance="attended")
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-4, status="cancelled", cancelled_by="student"
    )
    LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=-5, status="cancelled", cancelled_by="teacher"
    )
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-6, status="cancelled")
    LessonFactory(
        teacher=tutor.profile,
        students=[student.profile, other.profile],
        days=2,
        rows={student.profile.id: {"attendance": "cancelled"}},
    )
    stats = student_stats_with_teacher(student_id=student.id, teacher_id=tutor.id)
    assert stats == {
        "totalLessonsPlanned": 3,
        "totalLessonsAttended": 2,
        "totalLessonsMissed": 1,
        "cancelledByStudent": 2,
        "cancelledByTeacher": 2,
        "cancelledByIllness": 0,
        "attendanceRate": 67,
    }


def test_rate_rounds_half_up_like_the_reference():
    assert [rate(a, t) for a, t in [(8, 10), (2, 3), (0, 0), (3, 4), (1, 8)]] == [80, 67, 0, 75, 13]


def _day(d: date, attended: int = 1, missed: int = 0):
    return (d, attended, missed, datetime(d.year, d.month, d.day, 12, tzinfo=UTC))


def test_current_streak_follows_the_whole_chain_not_just_two_days():
    today = date(2025, 3, 10)
    days = [_day(today - timedelta(weeks=w)) for w in range(6, -1, -1)]  # seven weekly attendances
    assert compute_streak(days, today)["current"] == 7
    assert compute_streak(days, today)["max"] == 7


def test_a_missed_lesson_breaks_the_streak_and_an_old_chain_is_not_current():
    today = date(2025, 3, 31)
    d0 = date(2025, 3, 1)
    days = [_day(d0), _day(d0 + timedelta(days=2)), _day(d0 + timedelta(days=4), attended=0, missed=1)]
    days += [_day(d0 + timedelta(days=6)), _day(d0 + timedelta(days=8))]
    result = compute_streak(days, today)
    assert result["max"] == 2
    assert result["current"] == 0  # the last attended day is 22 days ago


def test_streak_days_and_perfect_weeks_use_the_students_zone(tutor, student):
    """Lessons at 22:30 UTC Sunday are Monday in Vladivostok: with the student's zone the three lessons
    Mon/Tue/Wed local fall into one week and make a perfect week."""
    student.user.timezone = "Asia/Vladivostok"
    student.user.save()
    base = datetime(2025, 1, 5, 22, 30, tzinfo=UTC)  # Sunday UTC = Monday 08:30 in Vladivostok
    for i in range(3):
        LessonFactory(
            teacher=tutor.profile,
            students=[student.profile],
            start_at=base + timedelta(days=i),
            status="done",
            attendance="attended",
        )
    stats = student_stats(student_id=student.id, zone=zone_of(student.user))
    perfect = next(a for a in stats["achievements"] if a["id"] == "perfect_week")
    assert perfect["progress"] == 1 and perfect["earnedAt"] == "2025-01-07T22:30:00.000Z"
    # In UTC the same lessons straddle two Monday-based weeks: no perfect week.
    utc_stats = student_stats(student_id=student.id, zone=zoneinfo.ZoneInfo("UTC"))
    assert next(a for a in utc_stats["achievements"] if a["id"] == "perfect_week")["progress"] == 0


def test_achievements_are_always_four_and_streak_five_can_be_earned(tutor, student):
    now = timezone.now()
    starts = [now - timedelta(days=2 * i + 1) for i in range(11, -1, -1)]
    for start in starts:
        LessonFactory(
            teacher=tutor.profile, students=[student.profile], start_at=start, status="done", attendance="attended"
        )
    stats = student_stats(student_id=student.id, zone=zone_of(student.user))
    by_id = {a["id"]: a for a in stats["achievements"]}
    assert [a["id"] for a in stats["achievements"]] == ["first_lesson", "ten_lessons", "perfect_week", "streak_5"]
    assert by_id["first_lesson"]["progress"] == 1 and by_id["first_lesson"]["earnedAt"] is not None
    assert by_id["ten_lessons"]["progress"] == 10
    assert by_id["ten_lessons"]["earnedAt"] == iso(starts[9])
    assert by_id["streak_5"]["progress"] == 5 and by_id["streak_5"]["earnedAt"] == iso(starts[4])
    assert stats["streak"] == {"current": 12, "max": 12}
    for a in stats["achievements"]:
        assert set(a) == {"id", "name", "description", "icon", "earnedAt", "progress", "target"}
        assert a["progress"] <= a["target"]


def test_student_lesson_dicts_show_own_row_and_counts_but_no_other_students(tutor, student, make_student):
    other = make_student("Оля", teacher=tutor)
    subject = SubjectFactory(teacher=tutor.profile)
    lesson = LessonFactory(
        teacher=tutor.profile,
        students=[student.profile, other.profile],
        days=1,
        subject=subject,
        rows={other.profile.id: {"student_note_private": "секрет Оли", "attendance": "missed"}},
    )
    (item,) = student_lesson_dicts(student_id=student.id, lesson_ids=[lesson.id])
    assert item["id"] == str(lesson.id)
    assert item["isGroupLesson"] is True and item["totalStudentsCount"] == 2 and item["otherStudentsCount"] == 1
    assert item["attendance"] == "unknown" and item["studentNotePrivate"] is None
    assert item["subject"] == {"name": "Математика", "colorHex": "#4CAF50"}
    assert item["teacher"] == {"firstName": "Анна", "lastName": "Петрова"}
    assert "Оля" not in str(item) and "секрет" not in str(item)


def test_parent_sees_only_teachers_with_a_relation_and_an_active_link(tutor, student, parent, make_teacher):
    second = make_teacher("Борис", "Второй")
    TeacherStudentLink.objects.create(teacher=second.profile, student=student.profile)
    mine = LessonFactory(teacher=tutor.profile, students=[student.profile], days=1)
    LessonFactory(teacher=second.profile, students=[student.profile], days=1)
    assert teacher_ids_visible_to_parent(parent.id, student.id) == [tutor.id]
    assert [d["id"] for d in parent_lesson_dicts(parent_id=parent.id, student_id=student.id)] == [str(mine.id)]
    # A relation of an archived link is kept but hidden.
    ParentStudentRelation.objects.create(parent=parent.profile, student=student.profile, teacher=second.profile)
    assert len(parent_lesson_dicts(parent_id=parent.id, student_id=student.id)) == 2
    TeacherStudentLink.objects.filter(teacher=second.profile).update(archived_at=timezone.now())
    assert teacher_ids_visible_to_parent(parent.id, student.id) == [tutor.id]
    assert len(parent_lesson_dicts(parent_id=parent.id, student_id=student.id)) == 1
