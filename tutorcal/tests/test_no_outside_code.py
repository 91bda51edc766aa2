"""No code from outside at run time (issue 17 §6): Swagger UI's assets come from drf-spectacular-sidecar (pinned in
requirements.txt), and no page we serve names a script, style, font or image on another host."""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

URL_ATTR = re.compile(r"""(?:src|href|url|action)\s*[=:(]\s*["']?((?:https?:)?//[^"'\s)>]+)""", re.I)
ANY_URL = re.compile(r"""https?://[^\s"'<>)]+""", re.I)
SERVER = "testserver"


XML_NAMESPACE = re.compile(r"""xmlns(?::\w+)?\s*=\s*["'][^"']*["']""")  # a name, never fetched


def outside_urls(html: str) -> list[str]:
    html = XML_NAMESPACE.sub("", html)
    found = set(URL_ATTR.findall(html)) | set(ANY_URL.findall(html))
    return sorted(u for u in found if urlsplit(u if "://" in u else "http:" + u).hostname not in {SERVER, None})


def pages(client) -> list[str]:
    paths = ["/api/docs/", "/admin/login/", "/admin/", "/admin/accounts/user/", "/admin/password_change/"]
    if client.get("/app/").status_code == 200:
        paths.append("/app/")
    return paths


def test_swagger_ui_is_served_from_our_own_static_files():
    html = Client().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    asset = Client().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    asset.close()  # a file response: close its file (warnings are errors)
    assert asset.status_code == 200


def test_no_page_we_serve_loads_anything_from_another_host():
    staff = get_user_model().objects.create_superuser(email="admin@example.com", password="a-long-password-123")
    client = Client()
    client.force_login(staff)
    checked = []
    for path in pages(client):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert outside_urls(html) == [], path
        checked.append(path)
    assert "/api/docs/" in checked and "/admin/" in checked
