"""Access matrix: every teacher/student/parent object endpoint with four personas — the owner, the linked user
of another role, a stranger of the same role and a wrong-role user. Nobody but the owner gets another
tutor's students, lessons, notes, debts or subscriptions (200 owner; 404 stranger teacher/student;
403 NOT_YOUR_CHILD stranger parent; 403 for a wrong role)."""

import pytest

from accounts.models import ParentProfile, TeacherStudentLink
from conftest import Persona, make_user
from lessons.tests.factories import LessonFactory, SubjectFactory
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tutor, student, parent, stranger_tutor, stranger_student):
    lesson = LessonFactory(
        teacher=tutor.profile, students=[student.profile], days=2, subject=SubjectFactory(teacher=tutor.profile)
    )
    LessonFactory(teacher=tutor.profile, students=[student.profile], days=-2, status="done", attendance="attended")
    sub = Subscription.objects.create(teacher=tutor.profile, student=student.profile, type="lessons", total_lessons=4)
    # The strangers have lives of their own (so "empty" is not the only reason they see nothing).
    TeacherStudentLink.objects.create(teacher=stranger_tutor.profile, student=stranger_student.profile)
    LessonFactory(teacher=stranger_tutor.profile, students=[stranger_student.profile], days=1)
    stranger_parent_user = make_user(30_999, "Чужой", "Родитель")
    stranger_parent = Persona(stranger_parent_user, "parent", ParentProfile.objects.create(user=stranger_parent_user))
    return {
        "tutor": tutor,
        "student": student,
        "parent": parent,
        "stranger_tutor": stranger_tutor,
        "stranger_student": stranger_student,
        "stranger_parent": stranger_parent,
        "ids": {
            "s": student.id,
            "t": tutor.id,
            "p": parent.id,
            "l": lesson.id,
            "sub": sub.id,
            "subj": lesson.subject_id,
        },
    }


OK = {"owner": 200}
# (method, url, body): owner persona, other-role persona, stranger persona, wrong-role persona and their statuses.
TEACHER = [
    ("get", "/api/teachers/me/students/{s}", None, 200),
    ("patch", "/api/teachers/me/students/{s}", {"customFields": {"a": "b"}}, 200),
    ("delete", "/api/teachers/me/students/{s}", None, 200),
    ("post", "/api/teachers/me/students/{s}/parents/invitations", None, 201),
    ("get", "/api/teachers/me/students/{s}/parents", None, 200),
    ("patch", "/api/teachers/me/students/{s}/parents/{p}", {"notificationsEnabled": False}, 200),
    ("get", "/api/teachers/me/students/{s}/lessons", None, 200),
    ("get", "/api/teachers/me/students/{s}/debt", None, 200),
    ("get", "/api/teachers/me/students/{s}/stats", None, 200),
    ("get", "/api/teachers/me/students/{s}/stats/detailed", None, 200),
    # other areas' object endpoints
    ("get", "/api/teachers/me/lessons/{l}", None, 200),
    ("get", "/api/teachers/me/students/{s}/subscription", None, 200),
    ("get", "/api/teachers/me/students/{s}/has-subscription", None, 200),
    ("get", "/api/teachers/me/students/{s}/subscriptions/archived", None, 200),
    ("delete", "/api/teachers/me/subscriptions/{sub}", None, 200),
    ("patch", "/api/teachers/me/subjects/{subj}", {"colorHex": "#000000"}, 200),
]
STUDENT = [
    ("get", "/api/students/me/teachers/{t}", None, 200),
    ("get", "/api/students/me/lessons/{l}", None, 200),
    ("patch", "/api/students/me/lessons/{l}", {"studentNotePrivate": "x"}, 200),
    ("post", "/api/students/me/lessons/{l}/cancel", None, 201),  # every POST is 201, as in the reference
    ("get", "/api/students/me/stats/teacher/{t}", None, 200),
]
PARENT = [
    ("get", "/api/parents/me/children/{s}", None, 200),
    ("get", "/api/parents/me/children/{s}/teachers", None, 200),
    ("get", "/api/parents/me/children/{s}/teachers/{t}", None, 200),
    ("get", "/api/parents/me/children/{s}/lessons?from=2000-01-01&to=2000-12-31", None, 200),
    ("get", "/api/parents/me/children/{s}/lessons/{l}", None, 200),
    ("get", "/api/parents/me/children/{s}/stats", None, 200),
    ("get", "/api/parents/me/children/{s}/debt", None, 200),
    ("patch", "/api/parents/me/children/{s}/notifications", {"notificationsEnabled": False}, 200),
]

CASES = (
    [(m, u, b, "tutor", st) for m, u, b, st in TEACHER]
    + [(m, u, b, "student", 403) for m, u, b, _ in TEACHER]  # linked other role
    + [(m, u, b, "stranger_tutor", 404) for m, u, b, _ in TEACHER]
    + [(m, u, b, "parent", 403) for m, u, b, _ in TEACHER]
    + [(m, u, b, "student", st) for m, u, b, st in STUDENT]
    + [(m, u, b, "tutor", 403) for m, u, b, _ in STUDENT]
    + [(m, u, b, "stranger_student", 404) for m, u, b, _ in STUDENT]
    + [(m, u, b, "parent", 403) for m, u, b, _ in STUDENT]
    + [(m, u, b, "parent", st) for m, u, b, st in PARENT]
    + [(m, u, b, "student", 403) for m, u, b, _ in PARENT]
    + [(m, u, b, "stranger_parent", 403) for m, u, b, _ in PARENT]
    + [(m, u, b, "tutor", 403) for m, u, b, _ in PARENT]
)


@pytest.mark.parametrize(
    ("method", "url", "body", "who", "expected"), CASES, ids=[f"{c[3]}:{c[0]}:{c[1]}" for c in CASES]
)
def test_access_matrix(api, world, method, url, body, who, expected):
    client = api(world[who])
    res = getattr(client, method)(url.format(**world["ids"]), body, format="json")
    assert res.status_code == expected, res.content
    if expected != 200 and expected != 201:
        text = res.content.decode()
        assert "Иван" not in text and str(world["ids"]["l"]) not in text


@pytest.mark.parametrize(
    "url",
    [
        "/api/teachers/me/students/not-a-uuid",
        "/api/teachers/me/students/not-a-uuid/debt",
        "/api/students/me/lessons/not-a-uuid",
        "/api/students/me/teachers/123",
        "/api/parents/me/children/nope",
    ],
)
def test_malformed_ids_are_404_not_500(api, world, url):
    who = {"teachers": "tutor", "students": "student", "parents": "parent"}[url.split("/")[2]]
    assert api(world[who]).get(url).status_code == 404


def test_anonymous_gets_401_everywhere(api, world):
    for url in [
        "/api/teachers/me/students",
        "/api/students/me/lessons",
        "/api/parents/me/children",
        "/api/teachers/me",
    ]:
        assert api().get(url).status_code == 401
