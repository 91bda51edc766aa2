import pytest

from lessons.models import Lesson, LessonSeries, Subject
from lessons.services.subjects import subject_code_from_name
from lessons.tests.calendar_helpers import BASE, create_lesson

pytestmark = pytest.mark.django_db


def make_subject(client, name="Математика", color="#112233", **extra):
    response = client.post(f"{BASE}/subjects", {"name": name, "colorHex": color, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Математика", "matematika"),
        ("Английский язык", "angliyskiy_yazyk"),
        ("Объём", "ob_em"),
        ("Щука ёж", "schuka_ezh"),
        ("Physics 101!", "physics_101"),
        ("!!!", ""),
        ("а" * 80, "a" * 50),
    ],
)
def test_it_generates_subject_codes_with_cyrillic_transliteration(name, code):
    assert subject_code_from_name(name) == code


def test_it_creates_a_subject_in_the_reference_shape(api, tutor):
    body = make_subject(api(tutor), "Английский язык", "#A1B2C3")
    assert set(body) == {"id", "teacherId", "name", "code", "colorHex", "archivedAt", "createdAt", "updatedAt"}
    assert body["code"] == "angliyskiy_yazyk"
    assert body["teacherId"] == str(tutor.id)
    assert body["archivedAt"] is None
    assert body["createdAt"].endswith("Z")


def test_it_makes_generated_codes_unique_and_rejects_an_explicit_duplicate(api, tutor):
    client = api(tutor)
    make_subject(client, "Алгебра")
    second = make_subject(client, "алгебра")  # different exact name, same generated code
    assert second["code"] == "algebra_2"
    symbols = make_subject(client, "???")
    assert symbols["code"] == "subject"
    response = client.post(
        f"{BASE}/subjects", {"name": "Геометрия", "code": "algebra", "colorHex": "#000000"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["message"] == "SUBJECT_CODE_EXISTS"


def test_it_rejects_a_duplicate_name_including_archived_subjects(api, tutor):
    client = api(tutor)
    subject = make_subject(client)
    Subject.objects.filter(id=subject["id"]).update(archived_at="2030-01-01T00:00:00Z")
    response = client.post(f"{BASE}/subjects", {"name": "Математика", "colorHex": "#000000"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"statusCode": 409, "message": "SUBJECT_NAME_EXISTS", "error": "Conflict"}


@pytest.mark.parametrize(
    "body",
    [
        {"colorHex": "#000000"},
        {"name": "X"},
        {"name": "X", "colorHex": "red"},
        {"name": "X", "colorHex": "#12345"},
        {"name": "   ", "colorHex": "#123456"},
        {"name": "X", "colorHex": "#123456", "code": "bad code!"},
    ],
)
def test_it_rejects_bad_subject_input_with_400(api, tutor, body):
    response = api(tutor).post(f"{BASE}/subjects", body, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()["message"], list)
    assert not Subject.objects.exists()


def test_it_updates_only_name_and_colour(api, tutor, stranger_tutor):
    client = api(tutor)
    subject = make_subject(client)
    response = client.patch(
        f"{BASE}/subjects/{subject['id']}",
        {"name": "Алгебра", "colorHex": "#ABCDEF", "teacherId": str(stranger_tutor.id), "code": "hack"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["colorHex"], body["code"]) == ("Алгебра", "#ABCDEF", "matematika")
    assert Subject.objects.get(id=subject["id"]).teacher_id == tutor.id


def test_it_refuses_renaming_to_an_existing_name(api, tutor):
    client = api(tutor)
    make_subject(client, "Алгебра")
    subject = make_subject(client, "Геометрия")
    response = client.patch(f"{BASE}/subjects/{subject['id']}", {"name": "Алгебра"}, format="json")
    assert response.status_code == 409
    assert response.json()["message"] == "SUBJECT_NAME_EXISTS"


def test_it_deletes_an_unused_subject_and_archives_a_used_one(api, tutor):
    client = api(tutor)
    unused = make_subject(client, "Алгебра")
    used = make_subject(client, "Геометрия")
    create_lesson(client, subjectId=used["id"])
    create_lesson(client, subjectId=used["id"], startAt="2030-03-05T09:00:00Z")

    assert client.delete(f"{BASE}/subjects/{unused['id']}").json() == {"success": True, "action": "deleted"}
    assert not Subject.objects.filter(id=unused["id"]).exists()
    assert client.delete(f"{BASE}/subjects/{used['id']}").json() == {
        "success": True,
        "action": "archived",
        "lessonsCount": 2,
    }
    assert [s["id"] for s in client.get(f"{BASE}/subjects").json()] == []
    assert [s["id"] for s in client.get(f"{BASE}/subjects/archived").json()] == [used["id"]]


def test_deleting_a_subject_only_series_use_clears_it_from_the_series(api, tutor):
    client = api(tutor)
    subject = make_subject(client)
    created = create_lesson(client, subjectId=subject["id"], recurrence={"frequency": "weekly", "count": 2})
    Lesson.objects.filter(series_id=created["series"]["id"]).delete()
    assert client.delete(f"{BASE}/subjects/{subject['id']}").json()["action"] == "deleted"
    assert LessonSeries.objects.get(id=created["series"]["id"]).subject_id is None


def test_it_restores_an_archived_subject_and_refuses_an_active_one(api, tutor):
    client = api(tutor)
    subject = make_subject(client)
    create_lesson(client, subjectId=subject["id"])
    response = client.post(f"{BASE}/subjects/{subject['id']}/restore")
    assert response.status_code == 409
    assert response.json()["message"] == "SUBJECT_NOT_ARCHIVED"
    client.delete(f"{BASE}/subjects/{subject['id']}")
    response = client.post(f"{BASE}/subjects/{subject['id']}/restore")
    assert response.status_code == 201
    assert response.json() == {"success": True}
    assert [s["id"] for s in client.get(f"{BASE}/subjects").json()] == [subject["id"]]


def test_subject_lists_are_ordered_and_scoped_to_the_teacher(api, tutor, stranger_tutor):
    client = api(tutor)
    first = make_subject(client, "Первый")
    second = make_subject(client, "Второй")
    make_subject(api(stranger_tutor), "Чужой")
    assert [s["id"] for s in client.get(f"{BASE}/subjects").json()] == [first["id"], second["id"]]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_a_stranger_or_malformed_id_gets_subject_not_found(api, tutor, stranger_tutor, method):
    subject = make_subject(api(tutor))
    for sid in (subject["id"], "not-a-uuid"):
        response = getattr(api(stranger_tutor), method)(f"{BASE}/subjects/{sid}", {"name": "x"}, format="json")
        assert response.status_code == 404
        assert response.json()["message"] == "SUBJECT_NOT_FOUND"
    response = api(stranger_tutor).post(f"{BASE}/subjects/{subject['id']}/restore")
    assert response.status_code == 404
    assert Subject.objects.get(id=subject["id"]).name == "Математика"


def test_students_and_anonymous_users_cannot_reach_subjects(api, student):
    assert api().get(f"{BASE}/subjects").status_code == 401
    assert api(student).get(f"{BASE}/subjects").status_code == 403


def test_subject_list_runs_a_constant_number_of_queries(api, tutor, django_assert_max_num_queries):
    client = api(tutor)
    make_subject(client, "S0")
    with django_assert_max_num_queries(3):
        assert len(client.get(f"{BASE}/subjects").json()) == 1
    for i in range(1, 30):
        Subject.objects.create(teacher=tutor.profile, name=f"S{i}", code=f"s{i}", color_hex="#000000")
    with django_assert_max_num_queries(3):
        assert len(client.get(f"{BASE}/subjects").json()) == 30
