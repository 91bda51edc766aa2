"""The Mini App shell: routes, languages, only local assets, the string catalogs, the size budget, WEBAPP_URL."""

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import translation

from webapp.i18n import STRINGS

APP_STATIC = Path(settings.BASE_DIR) / "static" / "app"


def test_root_and_bare_app_redirect_to_the_app(client):
    assert client.get("/")["Location"] == "/app/"
    assert client.get("/app")["Location"] == "/app/"
    assert client.get("/?startapp=T_x")["Location"] == "/app/?startapp=T_x"


def test_shell_and_deep_links_render_the_same_page(client):
    for path in ("/app/", "/app/lesson/0b5ef8a4-4bd6-4a55-9f5b-0d4a3d3b7e11", "/app/invite/T_abc"):
        response = client.get(path)
        assert response.status_code == 200
        assert b'<main id="page">' in response.content
        assert response["Cache-Control"] == "no-cache"
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert "frame-ancestors 'self' https://web.telegram.org" in csp  # Telegram's web clients frame the app
        assert "X-Frame-Options" not in response


def test_shell_language_follows_accept_language(client):
    assert b'<html lang="ru"' in client.get("/app/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9").content
    assert "Календарь репетитора" in client.get("/app/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert b'<html lang="en"' in client.get("/app/", HTTP_ACCEPT_LANGUAGE="de").content


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_shell_loads_only_local_assets(client):
    html = client.get("/app/").content.decode()
    assets = _assets(html)
    assert any(a.endswith("main.js") for a in assets) and any(a.endswith("app.css") for a in assets)
    for asset in assets:
        assert asset.startswith(("/static/", "data:")), asset
    assert "http://" not in html and "https://" not in html


def test_catalogs_carry_english_and_russian_for_every_key(client):
    html = client.get("/app/").content.decode()
    raw = re.search(r'<script id="tc-i18n" type="application/json">(.*?)</script>', html, re.S).group(1)
    catalogs = json.loads(raw)
    assert set(catalogs) == {"en", "ru"}
    assert set(catalogs["en"]) == set(catalogs["ru"]) == set(STRINGS)
    same = [k for k in STRINGS if catalogs["ru"][k] == catalogs["en"][k]]
    assert same == ["field.email"], same  # "Email" is spelt the same; everything else is translated


def test_every_string_the_client_uses_is_in_the_catalog():
    used = set()
    for path in (APP_STATIC / "js").rglob("*.js"):
        used |= set(re.findall(r"\bt\('([a-z_]+\.[A-Za-z_.]+)'", path.read_text()))
    used = {key for key in used if not key.endswith((".", "_"))}  # prefixes of keys built at run time
    missing = sorted(used - set(STRINGS))
    assert not missing, missing
    # Keys built at run time: one per role, attendance, payment, scope and notification event.
    for key in ["role.teacher", "attendance.missed", "payment.paid", "scope.future", "notify.lesson_reminder"]:
        assert key in STRINGS


# Codes the Mini App's own flows can meet (sign-in, joining, lessons, students, packages, subjects).
CODES_THE_APP_MEETS = [
    "INVALID_INIT_DATA",
    "USER_NOT_FOUND",
    "UNAUTHORIZED",
    "ACCOUNT_DELETED",
    "ROLE_NOT_AVAILABLE",
    "ROLE_EXISTS",
    "USER_EXISTS",
    "CANNOT_JOIN_OWN_CODE",
    "INVALID_REFERRAL_CODE",
    "TEACHER_NOT_FOUND",
    "STUDENT_NOT_FOUND",
    "STUDENT_HAS_NO_TEACHERS",
    "CHILD_NOT_FOUND",
    "LESSON_NOT_FOUND",
    "LESSON_CANCELLED",
    "LESSON_NOT_CANCELLABLE",
    "STUDENT_NOT_LINKED",
    "SUBJECT_NAME_EXISTS",
    "RANGE_TOO_LARGE",
    "INVALID_DATE_RANGE",
    "SUBSCRIPTION_ALREADY_EXISTS",
    "ANOTHER_SUBSCRIPTION_EXISTS",
    "TOTAL_LESSONS_REQUIRED",
    "EXPIRES_AT_REQUIRED",
    "ARCHIVE_EXPIRED",
    "RESTORE_PERIOD_EXPIRED",
    "INVALID_CREDENTIALS",
]


def test_codes_the_app_meets_have_readable_text_in_both_languages():
    from tutorcal.error_codes import STATUS_BY_CODE

    assert set(CODES_THE_APP_MEETS) <= set(STATUS_BY_CODE)  # real codes, not invented ones
    missing = [code for code in CODES_THE_APP_MEETS if f"err.{code}" not in STRINGS]
    assert not missing, missing
    with translation.override("ru"):
        untranslated = [
            c for c in CODES_THE_APP_MEETS if translation.gettext(STRINGS[f"err.{c}"]) == STRINGS[f"err.{c}"]
        ]
    assert not untranslated, untranslated


def test_russian_translation_is_compiled():
    with translation.override("ru"):
        assert translation.gettext(STRINGS["lesson.cancel"]) == "Отменить занятие"


def test_first_load_fits_150_kb_compressed():
    """Every module is imported on the first load (no lazy chunks), so the budget is all JS + CSS."""
    files = [p for p in APP_STATIC.rglob("*") if p.suffix in (".js", ".css")]
    total = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    assert total <= 150 * 1024, total


def test_webapp_url_defaults_to_this_servers_app():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "x" * 50,
        "JWT_SECRET": "j" * 40,
        "BOT_ADMIN_SECRET": "a" * 30,
        "TELEGRAM_WEBHOOK_SECRET": "w" * 30,
        "DJANGO_ALLOWED_HOSTS": "api.example.com,localhost",
        "DJANGO_SETTINGS_MODULE": "tutorcal.settings",
    }
    env.pop("WEBAPP_URL", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.WEBAPP_URL)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "https://api.example.com/app"


def test_production_static_build_hashes_the_module_graph(tmp_path, settings):
    """collectstatic with the production storage: every ES module import points at a hashed file (one deploy never
    mixes module versions), which also proves the import graph has no cycle (a cycle never converges)."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "webapp.storage.StaticStorage"}}
    settings.WHITENOISE_USE_FINDERS = False
    call_command("collectstatic", "--noinput", verbosity=0)
    [main] = [p for p in (tmp_path / "app" / "js").glob("main.*.js")]
    imports = re.findall(r"from [\"']([^\"']+)[\"']", main.read_text())
    assert imports and all(re.search(r"\.[0-9a-f]{12}\.js$", name) for name in imports), imports
    assert (tmp_path / "app" / "app.css.gz").exists() or list((tmp_path / "app").glob("app.*.css.gz"))
