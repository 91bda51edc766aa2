import pytest

from realtime import presence


@pytest.fixture(autouse=True)
def _db(db):
    pass


def test_presence_requires_a_token(api):
    assert api().get("/api/realtime/presence").status_code == 401


def test_a_stranger_tutors_presence_shows_nobody(api, stranger_tutor, student):
    presence.socket_connected(("student", str(student.id)), "specific.x!1")
    assert api(stranger_tutor).get("/api/realtime/presence").json() == {"contacts": [], "viewing": []}


def test_a_student_sees_their_tutor_online_over_rest(api, tutor, student):
    presence.socket_connected(("teacher", str(tutor.id)), "specific.x!1")
    body = api(student).get("/api/realtime/presence").json()
    assert body["contacts"] == [{"role": "teacher", "profileId": str(tutor.id), "name": "Анна Петрова", "online": True}]


def test_presence_runs_a_constant_number_of_queries(api, tutor, make_student, django_assert_max_num_queries):
    client = api(tutor)
    make_student("Один", "Ученик", teacher=tutor)
    with django_assert_max_num_queries(3) as one:
        client.get("/api/realtime/presence")
    for i in range(30):
        student = make_student(f"У{i}", "Ученик", teacher=tutor)
        presence.socket_connected(("student", str(student.id)), f"specific.x!{i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get("/api/realtime/presence").json()
    assert sum(c["online"] for c in body["contacts"]) == 30


def test_the_ticket_endpoint_is_in_the_schema_without_warnings(api):
    schema = api().get("/api/schema/?format=json").json()
    assert "/api/realtime/ticket" in schema["paths"] and "/api/realtime/presence" in schema["paths"]
