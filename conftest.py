"""Shared personas for every test module: a tutor, a linked student, that student's parent, and a stranger
tutor (plus an unlinked student). `api(persona)` returns a DRF client authenticated as that persona."""

import time
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from rest_framework.test import APIClient

from accounts.models import (
    User,
)
from accounts.telegram import sign_init_data
from accounts.tests.factories import (
    ParentProfileFactory,
    ParentStudentRelationFactory,
    StudentProfileFactory,
    TeacherProfileFactory,
    TeacherStudentLinkFactory,
    UserFactory,
)
from accounts.tokens import issue_tokens
from tutorcal import cache_guard

TEST_BOT_TOKEN = "123456:TEST-TOKEN-for-tests-only"

# Every API response in every test is validated against the OpenAPI schema (tutorcal/tests/openapi_conformance.py).
pytest_plugins = ["tutorcal.tests.openapi_conformance"]


def pytest_collection_modifyitems(config, items):
    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL, as .ci/run does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Known bot token for signing initData, fresh cache (throttles, tickets) for every test."""
    settings.BOT_TOKEN = TEST_BOT_TOKEN
    cache.clear()
    caches["views"].clear()
    cache_guard.reset()
    yield
    cache.clear()
    caches["views"].clear()


@dataclass
class Persona:
    user: User
    role: str
    profile: object

    @property
    def id(self):
        return self.profile.id


def make_user(telegram_id: int, first: str, last: str = "", username: str = "", tz: str = "Europe/Moscow") -> User:
    return UserFactory(telegram_id=telegram_id, first_name=first, last_name=last, username=username, timezone=tz)


@pytest.fixture
def make_teacher(db):
    counter = iter(range(10_000, 20_000))

    def _make(first="Анна", last="Учитель", tz="Europe/Moscow") -> Persona:
        user = make_user(next(counter), first, last, f"t{first.lower()}", tz)
        return Persona(user, "teacher", TeacherProfileFactory(user=user, display_name=f"{first} {last}"))

    return _make


@pytest.fixture
def make_student(db):
    counter = iter(range(20_000, 30_000))

    def _make(first="Иван", last="Ученик", teacher: Persona | None = None) -> Persona:
        user = make_user(next(counter), first, last, f"s{first.lower()}")
        profile = StudentProfileFactory(user=user)
        if teacher is not None:
            TeacherStudentLinkFactory(teacher=teacher.profile, student=profile)
        return Persona(user, "student", profile)

    return _make


@pytest.fixture
def tutor(make_teacher) -> Persona:
    return make_teacher("Анна", "Петрова")


@pytest.fixture
def student(make_student, tutor) -> Persona:
    """A student linked to `tutor`."""
    return make_student("Иван", "Иванов", teacher=tutor)


@pytest.fixture
def parent(db, student, tutor) -> Persona:
    """The parent of `student`, related through `tutor`."""
    user = make_user(30_001, "Мария", "Иванова", "mama")
    profile = ParentProfileFactory(user=user)
    ParentStudentRelationFactory(parent=profile, student=student.profile, teacher=tutor.profile)
    return Persona(user, "parent", profile)


@pytest.fixture
def stranger_tutor(make_teacher) -> Persona:
    """Another tutor with no link to anyone above."""
    return make_teacher("Олег", "Чужой")


@pytest.fixture
def stranger_student(make_student) -> Persona:
    """A student linked to nobody."""
    return make_student("Пётр", "Посторонний")


@pytest.fixture
def api():
    """api() → anonymous client; api(persona) → client with that persona's bearer token."""

    def _client(persona: Persona | None = None) -> APIClient:
        client = APIClient()
        if persona is not None:
            token = issue_tokens(persona.user, persona.role)["token"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return _client


@pytest.fixture
def init_data():
    """init_data(id=…, first_name=…) → a correctly signed Telegram initData string."""
    import json

    def _make(
        id: int = 777,
        first_name: str = "Тест",
        last_name: str = "",
        username: str = "tester",
        auth_date: int | None = None,
        token: str = TEST_BOT_TOKEN,
        **extra,
    ) -> str:
        user = {"id": id, "first_name": first_name, "last_name": last_name, "username": username}
        fields = {
            "auth_date": str(auth_date if auth_date is not None else int(time.time())),
            "query_id": "AAF-test",
            "user": json.dumps(user, ensure_ascii=False),
            **extra,
        }
        return sign_init_data(fields, bot_token=token)

    return _make
