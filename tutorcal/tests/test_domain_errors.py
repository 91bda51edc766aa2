"""Domain errors carry codes, never HTTP: every code raised anywhere has a status in tutorcal/error_codes.py,
and no service or selector imports DRF (the bot and the worker call them without HTTP)."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from tutorcal.error_codes import STATUS_BY_CODE, message_for, status_for
from tutorcal.errors import DomainError, exception_handler

APPS = ("tutorcal", "accounts", "subscriptions", "lessons", "botapp", "realtime", "staff")


def _sources(root: Path):
    for app in APPS:
        if (root / app).is_dir():
            for path in sorted((root / app).rglob("*.py")):
                rel = path.relative_to(root)
                if "tests" not in rel.parts[:-1] and "migrations" not in rel.parts:
                    yield rel, ast.parse(path.read_text(encoding="utf-8"))


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def raised_codes(root: Path) -> dict[str, str]:
    """code -> first place it is raised: DomainError("X", …) and parse_uuid(value, "X"); a conditional
    expression contributes both branches."""

    def constants(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.IfExp):
            yield from constants(node.body)
            yield from constants(node.orelse)

    found: dict[str, str] = {}
    for rel, tree in _sources(root):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            arg = None
            if name == "DomainError" and node.args:
                arg = node.args[0]
            elif name == "parse_uuid" and len(node.args) > 1:
                arg = node.args[1]
            for code in constants(arg) if arg is not None else ():
                found.setdefault(code, f"{rel.as_posix()}:{node.lineno}")
    return found


def drf_imports_in_services_and_selectors(root: Path) -> list[str]:
    found = []
    for rel, tree in _sources(root):
        parts = [p.removesuffix(".py") for p in rel.parts]
        if not any(p.startswith(("services", "selectors")) for p in parts):
            continue
        for node in ast.walk(tree):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            found += [f"{rel.as_posix()}:{node.lineno} {m}" for m in modules if m.split(".")[0] == "rest_framework"]
    return found


def test_every_raised_domain_code_has_an_http_status():
    codes = raised_codes(Path(settings.BASE_DIR))
    assert len(codes) > 40  # the walk really finds the codes
    missing = {code: where for code, where in codes.items() if code not in STATUS_BY_CODE}
    assert missing == {}


def test_the_code_walk_sees_direct_conditional_and_uuid_codes(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "views.py").write_text(
        'raise DomainError("A_CODE")\n'
        'raise errors.DomainError("B_CODE" if x else "C_CODE", messages=["m"])\n'
        'parse_uuid(value, "D_CODE")\n'
    )
    (tmp_path / "lessons" / "tests").mkdir()
    (tmp_path / "lessons" / "tests" / "test_x.py").write_text('raise DomainError("TEST_ONLY")\n')
    assert set(raised_codes(tmp_path)) == {"A_CODE", "B_CODE", "C_CODE", "D_CODE"}


def test_no_service_or_selector_imports_rest_framework():
    assert drf_imports_in_services_and_selectors(Path(settings.BASE_DIR)) == []


def test_the_drf_check_sees_service_packages_and_function_level_imports(tmp_path):
    (tmp_path / "lessons" / "services").mkdir(parents=True)
    (tmp_path / "lessons" / "services" / "series.py").write_text(
        "def f():\n    from rest_framework.exceptions import ValidationError\n"
    )
    (tmp_path / "subscriptions").mkdir()
    (tmp_path / "subscriptions" / "selectors.py").write_text("import rest_framework\n")
    (tmp_path / "subscriptions" / "views.py").write_text("from rest_framework.views import APIView\n")
    assert sorted(drf_imports_in_services_and_selectors(tmp_path)) == [
        "lessons/services/series.py:2 rest_framework.exceptions",
        "subscriptions/selectors.py:1 rest_framework",
    ]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("LESSON_NOT_FOUND", 404, "LESSON_NOT_FOUND"),
        ("ROLE_NOT_AVAILABLE", 403, "ROLE_NOT_AVAILABLE"),
        ("REFRESH_ROLE_NOT_AVAILABLE", 401, "ROLE_NOT_AVAILABLE"),
        ("UNAUTHORIZED", 401, "Unauthorized"),
    ],
)
def test_the_api_layer_maps_a_code_to_its_status_and_wire_message(code, status, message):
    assert (status_for(code), message_for(code)) == (status, message)
    response = exception_handler(DomainError(code), {})
    assert response.status_code == status and response.data["message"] == message


def test_validation_messages_render_as_the_list_message():
    response = exception_handler(DomainError("VALIDATION_FAILED", messages=["count must be positive"]), {})
    assert response.status_code == 400
    assert response.data == {"statusCode": 400, "message": ["count must be positive"], "error": "Bad Request"}
