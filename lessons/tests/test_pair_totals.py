"""Running totals of the students list (lessons.roster.selectors.pair_totals): the cards read a stored row per
(tutor, student) pair and aggregate again only the pairs a write changed (PostgreSQL triggers move the pair's
version) or whose next lesson has started. The rest of the suite checks every answer against the full aggregate
(VIEW_CACHE_VERIFY); these tests switch that off so the totals alone must be right."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lessons.models import Lesson, LessonStudent, PairStamp, PairTotals, Subject
from lessons.roster.selectors.pair_totals import aggregate_cards, card_totals
from lessons.services.stamps import view_stamps_compact
from lessons.tests.calendar_helpers import BASE, QueryCounter
from lessons.tests.factories import LessonFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="pair stamps are kept by PostgreSQL triggers"),
]
STUDENTS = f"{BASE}/students"


@pytest.fixture(autouse=True)
def _totals_alone(settings):
    settings.VIEW_CACHE_VERIFY = False
    settings.VIEW_CACHE_SECONDS = 0  # every GET renders: the totals are what is measured


@pytest.fixture
def three(tutor, make_student):
    students = [make_student(name, "Ученик", teacher=tutor) for name in ("Аня", "Борис", "Вера")]
    past = timezone.now() - timedelta(days=7)
    for k, s in enumerate(students):
        for week in range(3):
            LessonFactory(
                teacher=tutor.profile,
                start_at=past - timedelta(weeks=week, minutes=k),
                status=Lesson.Status.DONE,
                price_rub=500,
                students=[s.profile],
                rows={s.profile.id: {"attendance": "attended", "price_rub": 500}},
            )
    return students


def _card(api, tutor, student) -> dict:
    body = api(tutor).get(STUDENTS).json()
    return next(c for c in body["students"] if c["studentId"] == str(student.id))


def _versions(tutor) -> dict:
    return dict(PairTotals.objects.filter(teacher_id=tutor.id).values_list("student_id", "version"))


def test_only_the_pair_a_write_changed_is_aggregated_again(api, tutor, three):
    assert _card(api, tutor, three[0])["debt"]["unpaidAmountRub"] == 1500
    before = _versions(tutor)
    assert len(before) == 3
    LessonStudent.objects.filter(student=three[0].profile).update(payment_status="paid")  # a bare bulk update
    assert _card(api, tutor, three[0])["debt"]["unpaidAmountRub"] == 0
    after = _versions(tutor)
    assert after[three[0].id] != before[three[0].id]
    assert after[three[1].id] == before[three[1].id] and after[three[2].id] == before[three[2].id]


def test_totals_give_what_the_full_aggregate_gives(tutor, three):
    now = timezone.now()
    ids = [s.id for s in three]
    first = card_totals(teacher_id=tutor.id, student_ids=ids, now=now)  # aggregated and stored
    stored = card_totals(teacher_id=tutor.id, student_ids=ids, now=now)  # read back from the rows
    full = aggregate_cards(tutor.id, ids, now)
    assert stored == first and stored[0] == full[0] and stored[1] == dict(full[1])


def test_a_current_pair_costs_no_aggregate(tutor, three, django_assert_num_queries):
    ids = [s.id for s in three]
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    with django_assert_num_queries(2):  # the versions and the stored rows
        card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())


def test_lesson_and_subject_writes_move_the_versions_of_their_pairs_only(tutor, three):
    subject = Subject.objects.create(teacher=tutor.profile, name="Алгебра", color_hex="#112233")
    mine = Lesson.objects.filter(lesson_students__student=three[0].profile)
    mine.update(subject=subject)
    ids = [s.id for s in three]
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    before = _versions(tutor)
    Subject.objects.filter(id=subject.id).update(name="Геометрия")
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    after = _versions(tutor)
    assert after[three[0].id] != before[three[0].id] and after[three[1].id] == before[three[1].id]
    aggs, subjects = card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    assert subjects[three[0].id][0]["name"] == "Геометрия"
    Lesson.objects.filter(lesson_students__student=three[1].profile).update(status="cancelled")
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    assert _versions(tutor)[three[1].id] != after[three[1].id]


def test_a_pair_is_aggregated_again_once_its_next_lesson_has_started(api, tutor, three):
    soon = timezone.now() + timedelta(seconds=2)
    LessonFactory(teacher=tutor.profile, start_at=soon, students=[three[2].profile])
    card = _card(api, tutor, three[2])
    assert card["nextLessonAt"] is not None
    stored = PairTotals.objects.get(teacher_id=tutor.id, student_id=three[2].id)
    assert abs(stored.flip_at - soon) < timedelta(milliseconds=1)
    time.sleep(max(0.0, (soon - timezone.now()).total_seconds()) + 0.3)
    card = _card(api, tutor, three[2])
    assert card["nextLessonAt"] is None and card["lastLessonAt"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))


def test_compaction_keeps_one_pair_stamp_and_the_totals_recompute(tutor, three):
    LessonStudent.objects.filter(student=three[0].profile).update(rating=4)
    LessonStudent.objects.filter(student=three[0].profile).update(rating=5)
    assert PairStamp.objects.filter(teacher_id=tutor.id, student_id=three[0].id).count() > 1
    ids = [s.id for s in three]
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    before = _versions(tutor)[three[0].id]
    view_stamps_compact()
    assert PairStamp.objects.filter(teacher_id=tutor.id, student_id=three[0].id).count() == 1
    card_totals(teacher_id=tutor.id, student_ids=ids, now=timezone.now())
    assert _versions(tutor)[three[0].id] != before  # a new version: aggregated again, never a stale reuse


def test_the_students_list_reads_totals_in_a_constant_number_of_queries(api, tutor, three, make_student):
    client = api(tutor)
    client.get(STUDENTS)
    with connection.execute_wrapper(counter := QueryCounter()):
        client.get(STUDENTS)
    few = counter.n
    for name in ("Г", "Д", "Е", "Ж"):
        student = make_student(name, "Новый", teacher=tutor)
        LessonFactory(teacher=tutor.profile, start_at=timezone.now() - timedelta(days=1), students=[student.profile])
    client.get(STUDENTS)
    with connection.execute_wrapper(counter := QueryCounter()):
        body = client.get(STUDENTS).json()
    assert len(body["students"]) == 7 and counter.n == few

