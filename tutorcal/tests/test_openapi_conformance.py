"""The schema-conformance validator itself: it must reject what a wrong serializer would let through."""

import copy
import json

import pytest

from tutorcal.tests import openapi_conformance as oc


@pytest.fixture(scope="module")
def schema():
    return oc.generated_schema()


def _check(conformance, body, *, status=200, path="/api/auth/beta-status", method="GET"):
    return conformance.check(method, path, status, "application/json", json.dumps(body).encode())


def _renamed(schema, component, old, new):
    """The schema a serializer would produce if it called field `old` `new` instead."""
    mutated = copy.deepcopy(schema)
    props = mutated["components"]["schemas"][component]["properties"]
    props[new] = props.pop(old)
    required = mutated["components"]["schemas"][component].get("required", [])
    mutated["components"]["schemas"][component]["required"] = [new if x == old else x for x in required]
    return oc.Conformance.from_schema(mutated)


def _omitted(schema, component, name):
    mutated = copy.deepcopy(schema)
    target = mutated["components"]["schemas"][component]
    target["properties"].pop(name)
    target["required"] = [x for x in target.get("required", []) if x != name]
    return oc.Conformance.from_schema(mutated)


def test_a_matching_body_passes_and_counts_as_exercised(schema):
    conformance = oc.Conformance.from_schema(schema)
    op = _check(conformance, {"isBetaTester": False})
    assert op.template == "/api/auth/beta-status"
    assert ("GET", "/api/auth/beta-status") in conformance.exercised


def test_a_field_the_serializer_omits_fails(schema):
    conformance = _omitted(schema, "BetaStatusOut", "isBetaTester")
    with pytest.raises(oc.SchemaMismatch, match="isBetaTester"):
        _check(conformance, {"isBetaTester": False})


def test_a_field_the_serializer_misnames_fails(schema):
    conformance = _renamed(schema, "BetaStatusOut", "isBetaTester", "is_beta_tester")
    with pytest.raises(oc.SchemaMismatch, match="is_beta_tester"):
        _check(conformance, {"isBetaTester": False})


def test_a_nested_misnamed_field_fails_with_its_path(schema):
    conformance = _renamed(schema, "UserOut", "firstName", "first_name")
    body = {
        "user": {
            "id": "8c5d7b0e-6a43-4f0e-9a59-2b8f4f1c2d3e",
            "telegramId": 1,
            "maxId": None,
            "firstName": "A",
            "lastName": "",
            "username": "",
            "email": None,
            "emailVerified": False,
            "isBetaTester": False,
            "timezone": "Europe/Moscow",
        },
        "roles": ["teacher"],
        "currentRole": "teacher",
        "token": "t",
        "refreshToken": "r",
    }
    assert _check(oc.Conformance.from_schema(schema), body, path="/api/auth/select-role", method="POST")
    with pytest.raises(oc.SchemaMismatch, match="at user"):
        _check(conformance, body, path="/api/auth/select-role", method="POST")


def test_wrong_type_null_and_format_fail(schema):
    conformance = oc.Conformance.from_schema(schema)
    with pytest.raises(oc.SchemaMismatch, match="is not of type 'boolean'"):
        _check(conformance, {"isBetaTester": "no"})
    with pytest.raises(oc.SchemaMismatch):
        _check(conformance, {"isBetaTester": None})
    deleted = {"success": True, "message": "x", "deletedAt": "yesterday", "restoreDays": 7}
    with pytest.raises(oc.SchemaMismatch, match="date-time"):
        _check(conformance, deleted, path="/api/auth/delete-account", method="POST")


def test_an_undocumented_status_fails(schema):
    conformance = oc.Conformance.from_schema(schema)
    with pytest.raises(oc.SchemaMismatch, match="status not documented"):
        _check(conformance, {"isBetaTester": False}, status=202)


def test_error_bodies_are_checked_against_the_error_component(schema):
    conformance = oc.Conformance.from_schema(schema)
    _check(conformance, {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}, status=401)
    _check(
        conformance,
        {"statusCode": 400, "message": ["role: bad"], "error": "Bad Request"},
        status=400,
        path="/api/auth/add-role",
        method="POST",
    )
    with pytest.raises(oc.SchemaMismatch, match="required property"):
        _check(conformance, {"detail": "Unauthorized"}, status=401)


def test_literal_paths_win_over_parameters(schema):
    conformance = oc.Conformance.from_schema(schema)
    assert conformance.match("GET", "/api/teachers/me/students/archived").template.endswith("/students/archived")
    assert conformance.match("GET", "/api/teachers/me/students/abc").template.endswith("/students/{student_id}")


def test_the_wrapped_test_client_fails_the_test_that_got_a_mismatching_response(api, tutor, schema, monkeypatch):
    monkeypatch.setattr(oc, "_conformance", _renamed(schema, "BetaStatusOut", "isBetaTester", "betaTester"))
    with pytest.raises(oc.SchemaMismatch, match="GET /api/auth/beta-status -> 200"):
        api(tutor).get("/api/auth/beta-status")


def _is_typed(schema: dict) -> bool:
    """A named component, a list of them, or a choice / nullable wrapper of them — not a free-form object."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return _is_typed(schema["items"])
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return all(_is_typed(x) for x in schema[key])
    return bool(schema.get("properties"))


def test_every_operation_documents_typed_responses_and_the_error_body(schema):
    untyped, bad_errors = [], []
    for template, item in schema["paths"].items():
        for method, op in item.items():
            if method not in oc.METHODS:
                continue
            for status, response in op["responses"].items():
                media = (response.get("content") or {}).get("application/json")
                if status.startswith("2") and media is not None and not _is_typed(media["schema"]):
                    untyped.append(f"{method.upper()} {template} {status}")
                if status.startswith("4") and (media or {}).get("schema") != {"$ref": "#/components/schemas/Error"}:
                    bad_errors.append(f"{method.upper()} {template} {status}")
            assert any(s[0] in "23" for s in op["responses"]), f"{method.upper()} {template}: no success status"
    assert untyped == []
    assert bad_errors == []
