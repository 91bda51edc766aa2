"""/api/admin/* data routes: shapes, figures against the database, bounds on every parameter."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from staff.models import AnalyticsEvent, RequestLog, SupportMessage
from staff.selectors.common import today

pytestmark = pytest.mark.django_db


def log(path="/api/teachers/me/lessons", status=200, ms=10, at=None, method="GET", **extra):
    return RequestLog.objects.create(
        created_at=at or timezone.now(), method=method, path=path, status_code=status, duration_ms=ms, **extra
    )


# ---- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/admin/requests/logs?limit=100000",
        "/api/admin/requests/logs?limit=0",
        "/api/admin/requests/logs?page=-1",
        "/api/admin/requests/logs?page=abc",
        "/api/admin/requests/logs?status=maybe",
        "/api/admin/users?limit=201",
        "/api/admin/users?role=admin",
        "/api/admin/support?status=open",
        "/api/admin/analytics/events?page=0",
        "/api/admin/dashboard/registrations",
        "/api/admin/dashboard/registrations?from=2026-01-01",
        "/api/admin/dashboard/registrations?from=yesterday&to=2026-01-01",
        "/api/admin/requests/chart?from=2026-01-01&to=2026-01-02&interval=week",
        "/api/admin/requests/endpoint-logs?method=GET",
        "/api/admin/requests/logs-detailed?method=GET",
    ],
)
def test_bad_query_parameters_are_400(admin_api, url):
    r = admin_api.get(url)
    assert r.status_code == 400, r.content
    assert r.json()["statusCode"] == 400


def test_from_after_to_is_400(admin_api):
    r = admin_api.get("/api/admin/requests/stats?from=2026-02-01&to=2026-01-01")
    assert r.status_code == 400 and r.json()["message"] == "INVALID_DATE_RANGE"


@pytest.mark.parametrize("base", ["dashboard/registrations", "requests/stats", "analytics/top", "requests/chart"])
def test_a_ten_year_range_is_refused(admin_api, base):
    r = admin_api.get(f"/api/admin/{base}?from=2016-01-01&to=2026-01-01&interval=day")
    assert r.status_code == 400 and r.json()["message"] == "RANGE_TOO_LARGE"


def test_minute_chart_is_limited_to_a_day(admin_api):
    r = admin_api.get("/api/admin/requests/chart?from=2026-01-01&to=2026-01-03&interval=minute")
    assert r.status_code == 400 and r.json()["message"] == "RANGE_TOO_LARGE"


def test_limit_200_is_the_maximum_accepted(admin_api):
    assert admin_api.get("/api/admin/requests/logs?limit=200").status_code == 200


# ---- dashboard ------------------------------------------------------------------------------------------


def test_stats_count_profiles_and_todays(admin_api, tutor, student, parent, stranger_tutor):
    body = admin_api.get("/api/admin/dashboard/stats").json()
    assert body["totalTeachers"] == 2 and body["totalStudents"] == 1 and body["totalParents"] == 1
    assert body["newTeachersToday"] == 2 and body["newStudentsToday"] == 1


def test_registrations_cover_every_day_of_the_range_with_zeros(admin_api, tutor, student, parent):
    d = today()
    r = admin_api.get(f"/api/admin/dashboard/registrations?from={d - timedelta(days=2)}&to={d}")
    assert r.status_code == 200
    rows = r.json()
    assert [x["date"] for x in rows] == [str(d - timedelta(days=i)) for i in (2, 1, 0)]
    assert rows[0] == {"date": str(d - timedelta(days=2)), "teachers": 0, "students": 0, "parents": 0}
    assert rows[-1] == {"date": str(d), "teachers": 1, "students": 1, "parents": 1}


def test_users_list_includes_parents_and_caps_the_page(admin_api, tutor, student, parent):
    r = admin_api.get("/api/admin/users?role=parent")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1
    [u] = body["users"]
    assert u["id"] == str(parent.user.pk) and u["profileId"] == str(parent.profile.pk) and u["isNew"] is True
    teachers = admin_api.get("/api/admin/users?role=teacher").json()["users"]
    assert teachers[0]["displayName"] == tutor.profile.display_name
    assert "password" not in r.content.decode()


def test_users_pages(admin_api, make_teacher):
    for i in range(3):
        make_teacher(f"T{i}")
    body = admin_api.get("/api/admin/users?role=teacher&limit=2&page=2").json()
    assert body["total"] == 3 and len(body["users"]) == 1


def test_referrals_group_users_by_source(admin_api, tutor, student):
    tutor.user.referral_source = "vk"
    tutor.user.save()
    rows = {r["source"]: r for r in admin_api.get("/api/admin/referrals").json()}
    assert rows["vk"]["count"] == 1 and rows["vk"]["teachers"] == 1 and rows["vk"]["students"] == 0
    assert rows[None]["students"] == 1


# ---- requests -------------------------------------------------------------------------------------------


def test_request_stats_and_endpoints_are_aggregates_of_the_log(admin_api):
    log(status=200, ms=10)
    log(status=500, ms=30)
    log(path="/api/health", status=200, ms=2)
    d = today()
    stats = admin_api.get(f"/api/admin/requests/stats?from={d}&to={d}").json()
    assert stats == {"totalRequests": 3, "totalErrors": 1, "errorRate": 33.33, "avgDurationMs": 14}
    eps = {e["path"]: e for e in admin_api.get("/api/admin/requests/endpoints").json()}
    lessons = eps["/api/teachers/me/lessons"]
    assert (lessons["totalRequests"], lessons["totalErrors"], lessons["errorRate"], lessons["avgDurationMs"]) == (
        2,
        1,
        50.0,
        20,
    )


def test_logs_pages_filters_and_errors(admin_api):
    for i in range(3):
        log(status=200, at=timezone.now() - timedelta(minutes=i))
    log(status=404)
    log(status=503, method="POST", path="/api/support")
    body = admin_api.get("/api/admin/requests/logs?limit=2").json()
    assert body["total"] == 5 and len(body["logs"]) == 2
    assert admin_api.get("/api/admin/requests/logs?status=error").json()["total"] == 2
    assert admin_api.get("/api/admin/requests/errors").json()["total"] == 2
    body = admin_api.get("/api/admin/requests/endpoint-logs?method=POST&path=/api/support").json()
    assert body["total"] == 1 and body["logs"][0]["statusCode"] == 503


def test_logs_detailed_filters_by_user_and_names_them(admin_api, tutor, student):
    log(user_id=tutor.user.pk, user_role="teacher")
    log(user_id=student.user.pk, user_role="student")
    log()
    body = admin_api.get(f"/api/admin/requests/logs-detailed?user=@{tutor.user.username}").json()
    assert body["total"] == 1 and body["logs"][0]["userUsername"] == tutor.user.username
    assert body["logs"][0]["userName"] == "Анна Петрова"
    body = admin_api.get(f"/api/admin/requests/logs-detailed?users={tutor.user.username}&userMode=exclude").json()
    assert body["total"] == 2
    assert admin_api.get(f"/api/admin/requests/logs-detailed?user={student.user.pk}").json()["total"] == 1


def test_chart_buckets_success_and_errors(admin_api):
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    log(at=at)
    log(at=at + timedelta(minutes=5), status=500)
    log(at=at + timedelta(hours=2))
    rows = admin_api.get("/api/admin/requests/chart?from=2026-01-05&to=2026-01-05&interval=hour").json()
    assert rows == [
        {"time": "2026-01-05 12:00", "success": 1, "errors": 1},  # 09:30 UTC is 12:30 in Moscow
        {"time": "2026-01-05 14:00", "success": 1, "errors": 0},
    ]


# ---- analytics ------------------------------------------------------------------------------------------


def test_track_with_a_valid_token_attaches_the_user(api, tutor):
    r = api(tutor).post("/api/admin/analytics/track", {"eventName": "open", "metadata": {"a": 1}}, format="json")
    assert r.status_code == 201 and r.json() == {"success": True}
    e = AnalyticsEvent.objects.get()
    assert (e.user_id, e.user_role, e.metadata, e.platform) == (tutor.user.pk, "teacher", {"a": 1}, "web")


def test_track_with_a_forged_token_is_stored_without_a_user(api, tutor):
    import base64
    import json

    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    forged = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': str(tutor.user.pk), 'role': 'teacher'})}.c2ln"
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.post("/api/admin/analytics/track", {"eventName": "open"}, format="json").status_code == 201
    e = AnalyticsEvent.objects.get()
    assert e.user_id is None and e.user_role == ""


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"eventName": ""},
        {"eventName": "x" * 101},
        {"eventName": "ok", "category": "c" * 51},
        {"eventName": "ok", "metadata": {"blob": "x" * 5000}},
    ],
)
def test_track_rejects_missing_oversized_fields_and_metadata_over_4kb(api, body):
    assert api().post("/api/admin/analytics/track", body, format="json").status_code == 400
    assert not AnalyticsEvent.objects.exists()


def test_track_is_throttled(api, settings):
    settings.ANALYTICS_THROTTLE_RATE = "3/minute"
    client = api()
    codes = [client.post("/api/admin/analytics/track", {"eventName": "e"}, format="json").status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]


def test_events_and_top(admin_api):
    for name in ["open", "open", "click"]:
        AnalyticsEvent.objects.create(event_name=name, category="ui")
    body = admin_api.get("/api/admin/analytics/events?eventName=open").json()
    assert body["total"] == 2 and body["events"][0]["eventName"] == "open"
    d = today()
    top = admin_api.get(f"/api/admin/analytics/top?from={d}&to={d}").json()
    assert top == [
        {"eventName": "open", "category": "ui", "count": 2},
        {"eventName": "click", "category": "ui", "count": 1},
    ]


# ---- support queue --------------------------------------------------------------------------------------


def test_support_queue_lists_counts_and_updates(admin_api, tutor):
    m = SupportMessage.objects.create(user=tutor.user, subject="s", message="m")
    SupportMessage.objects.create(subject="landing", message="m", status="closed")
    body = admin_api.get("/api/admin/support?status=new").json()
    assert body["total"] == 1
    item = body["messages"][0]
    assert item["user"] == {
        "id": str(tutor.user.pk),
        "firstName": "Анна",
        "lastName": "Петрова",
        "username": tutor.user.username,
        "telegramId": str(tutor.user.telegram_id),
        "email": None,
    }
    assert admin_api.get("/api/admin/support/count").json() == {"count": 1}
    r = admin_api.patch(f"/api/admin/support/{m.pk}", {"status": "resolved", "adminNotes": "done"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["adminNotes"] == "done"
    assert admin_api.get("/api/admin/support/count").json() == {"count": 0}


def test_patch_support_bad_input(admin_api):
    m = SupportMessage.objects.create(subject="s", message="m")
    assert admin_api.patch(f"/api/admin/support/{m.pk}", {"status": "open"}, format="json").status_code == 400
    r = admin_api.patch("/api/admin/support/not-a-uuid", {"status": "closed"}, format="json")
    assert r.status_code == 404
    r = admin_api.patch("/api/admin/support/00000000-0000-0000-0000-000000000000", {}, format="json")
    assert r.status_code == 404 and r.json()["message"] == "SUPPORT_MESSAGE_NOT_FOUND"


def test_admin_lists_run_constant_queries(admin_api, django_assert_max_num_queries, tutor):
    for i in range(10):
        SupportMessage.objects.create(user=tutor.user, subject=f"s{i}", message="m")
        log(user_id=tutor.user.pk)
    with django_assert_max_num_queries(3):
        assert len(admin_api.get("/api/admin/support").json()["messages"]) == 10
    with django_assert_max_num_queries(4):
        assert len(admin_api.get("/api/admin/requests/logs-detailed").json()["logs"]) == 10
