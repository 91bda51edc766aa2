"""Schema conformance for the whole suite (a pytest plugin loaded by the root conftest.py).

Every response a test receives from the Django test client (APIClient included) for a path in the OpenAPI schema
is validated against the schema of that path template + method + status: the status must be documented, a JSON
body must match its response schema (strictly: an object may not carry a key its serializer does not declare),
a documented empty response must be empty. A mismatch raises SchemaMismatch inside the request, so the test that
made the call fails and names the operation and the first wrong field.

The schema is generated once per process. Each process records which operations answered 2xx; at the end of a
full run (no path/-k/-m selection, or with --openapi-coverage) the session fails when an operation in the schema
was never exercised with a 2xx (or its documented 3xx), unless it is listed in NOT_EXERCISABLE with a reason.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import jsonschema
import pytest

# Operations no test can drive to a 2xx through the Django test client, and why.
NOT_EXERCISABLE: dict[tuple[str, str], str] = {}

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaMismatch(AssertionError):
    """A real response differs from what the OpenAPI schema promises."""


_formats = jsonschema.FormatChecker(formats=())


@_formats.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


@_formats.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("date-time without an offset")
    return True


@_formats.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


def to_json_schema(node):
    """OpenAPI 3.0 schema -> JSON Schema (draft 4): `nullable` becomes a null alternative, and every object
    that lists its properties without saying otherwise is closed (additionalProperties: false)."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern
    responses: dict[str, dict | None]  # status -> JSON schema of the JSON body, None = no body


@dataclass
class Conformance:
    """The schema turned into matchers and validators, and which operations real responses exercised."""

    operations: list[Operation]
    components: dict
    exercised: set[tuple[str, str]] = field(default_factory=set)  # (METHOD, template) answered 2xx/3xx
    validated: set[tuple[str, str, str]] = field(default_factory=set)  # (METHOD, template, status)
    _validators: dict = field(default_factory=dict)

    @classmethod
    def from_schema(cls, schema: dict) -> Conformance:
        components = to_json_schema(schema.get("components", {}))
        operations = []
        for template, item in schema["paths"].items():
            pattern = "".join(
                f"(?P<p{i}>[^/]+)" if part.startswith("{") else re.escape(part)
                for i, part in enumerate(re.split(r"(\{[^}]+\})", template))
            )
            for method in METHODS:
                if method not in item:
                    continue
                responses = {}
                for status, response in item[method].get("responses", {}).items():
                    content = response.get("content") or {}
                    media = content.get("application/json")
                    if media is None and content:
                        responses[status] = {}  # another media type: documented, body not checked
                    else:
                        responses[status] = to_json_schema(media.get("schema", {})) if media else None
                operations.append(Operation(method.upper(), template, re.compile(f"^{pattern}$"), responses))
        # Literal segments win over parameters (/me/students/archived before /me/students/{id}).
        operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))
        return cls(operations, components)

    def all_operations(self) -> set[tuple[str, str]]:
        return {(op.method, op.template) for op in self.operations}

    def match(self, method: str, path: str) -> Operation | None:
        candidates = [op for op in self.operations if op.regex.match(path)]
        for op in candidates:
            if op.method == method:
                return op
        return None

    def validator(self, op: Operation, status: str):
        key = (op.method, op.template, status)
        if key not in self._validators:
            schema = {**op.responses[status], "components": self.components}
            self._validators[key] = jsonschema.Draft4Validator(schema, format_checker=_formats)
        return self._validators[key]

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> Operation | None:
        """Raise SchemaMismatch when this response breaks the schema; return the operation it belongs to."""
        op = self.match(method, path)
        if op is None:
            return None  # not an API operation (admin, pages, 405 for an unknown method)
        code = str(status)
        where = f"{method} {op.template} -> {status}"
        if code not in op.responses:
            raise SchemaMismatch(f"{where}: status not documented (documented: {sorted(op.responses)})")
        expected = op.responses[code]
        if expected is None:
            if body:
                raise SchemaMismatch(f"{where}: documented without a body, got {body[:200]!r}")
        elif expected:
            if "json" not in content_type:
                raise SchemaMismatch(f"{where}: expected JSON, got {content_type!r}")
            data = json.loads(body)
            error = jsonschema.exceptions.best_match(self.validator(op, code).iter_errors(data))
            if error is not None:
                location = "/".join(str(p) for p in error.absolute_path) or "(root)"
                raise SchemaMismatch(f"{where}: at {location}: {error.message}")
        self.validated.add((op.method, op.template, code))
        if 200 <= status < 400:  # a success, or a documented redirect (the OAuth callback)
            self.exercised.add((op.method, op.template))
        return op


_conformance: Conformance | None = None


def generated_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def conformance() -> Conformance:
    """Built once per process (a few hundred ms), on the first API response."""
    global _conformance
    if _conformance is None:
        _conformance = Conformance.from_schema(copy.deepcopy(generated_schema()))
    return _conformance


# ----------------------------------------------------------------------------------------------- the plugin


def pytest_addoption(parser):
    parser.addoption(
        "--openapi-coverage",
        action="store_true",
        help="fail the session unless every OpenAPI operation answered a 2xx to some test (default: full runs)",
    )


@pytest.fixture(autouse=True, scope="session")
def _openapi_conformance():
    """Wrap the Django test client (and DRF's APIClient, a subclass) so every response is checked."""
    from django.test.client import Client

    original = Client.request

    def request(self, **environ):
        response = original(self, **environ)
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET").upper()
        if not getattr(response, "streaming", False):
            conformance().check(method, path, response.status_code, response.get("Content-Type", ""), response.content)
        return response

    Client.request = request
    yield
    Client.request = original


def _full_run(config) -> bool:
    if config.getoption("--openapi-coverage"):
        return True
    if config.getoption("keyword") or config.getoption("markexpr") or config.getoption("lf", False):
        return False
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS


def pytest_configure(config):
    config._openapi_exercised = set()
    config._openapi_validated = set()


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    local = _conformance.exercised if _conformance is not None else set()
    local_validated = _conformance.validated if _conformance is not None else set()
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the sets to the controller
        config.workeroutput["openapi_exercised"] = sorted(local)
        config.workeroutput["openapi_validated"] = sorted(local_validated)
        return
    exercised = config._openapi_exercised | local
    validated = config._openapi_validated | local_validated
    if not _full_run(config) or session.testsfailed or session.shouldfail:
        return
    ops = Conformance.from_schema(generated_schema()).all_operations()
    missing = sorted(ops - exercised - set(NOT_EXERCISABLE))
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(
            f"openapi: {len(ops)} operations, {len(ops & exercised)} validated against real 2xx responses, "
            f"{len(NOT_EXERCISABLE)} listed as not exercisable, {len(missing)} missing; "
            f"{len(validated)} (operation, status) pairs validated"
        )
        for method, template in missing:
            reporter.write_line(f"openapi: never exercised with a 2xx: {method} {template}", red=True)
    # Enforced with --openapi-coverage: staff/ and webapp/ tests are outside the default testpaths for now.
    if missing and config.getoption("--openapi-coverage"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    node.config._openapi_exercised |= {tuple(x) for x in node.workeroutput.get("openapi_exercised", [])}
    node.config._openapi_validated |= {tuple(x) for x in node.workeroutput.get("openapi_validated", [])}
