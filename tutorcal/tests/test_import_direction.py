"""Dependencies point one way: staff -> botapp, realtime, webapp -> lessons -> subscriptions -> accounts -> tutorcal
(staff, the support desk and insight, writes through botapp's outbox; nothing imports staff).

A module may import its own app and any app below it, never one above or beside it. Tests are exempt (they
may build any world they need), and so is the composition root that wires every app together (settings,
urls, asgi/wsgi)."""

import ast
from pathlib import Path

from django.conf import settings

LAYERS = [{"tutorcal"}, {"accounts"}, {"subscriptions"}, {"lessons"}, {"botapp", "realtime", "webapp"}, {"staff"}]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}
COMPOSITION_ROOT = {"tutorcal/settings.py", "tutorcal/urls.py", "tutorcal/asgi.py", "tutorcal/wsgi.py"}


def _imported_modules(tree: ast.AST):
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def upward_imports(root: Path) -> list[str]:
    """Every import under `root` that points up or sideways, as 'path:line imports module'."""
    found = []
    for path in sorted(p for app in RANK if (root / app).is_dir() for p in (root / app).rglob("*.py")):
        rel = path.relative_to(root)
        app = rel.parts[0]
        if "tests" in rel.parts[:-1] or rel.as_posix() in COMPOSITION_ROOT:
            continue
        for lineno, module in _imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            target = module.split(".")[0]
            if target in RANK and target != app and RANK[target] >= RANK[app]:
                found.append(f"{rel.as_posix()}:{lineno} imports {module}")
    return found


def test_no_module_imports_upward():
    assert upward_imports(Path(settings.BASE_DIR)) == []


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_upward_or_sideways_import_fails_the_check(tmp_path):
    _write(tmp_path, "accounts/services/users.py", "from lessons.models import Lesson\n")
    _write(tmp_path, "subscriptions/selectors.py", "def f():\n    import botapp.services\n")
    _write(tmp_path, "tutorcal/events.py", "from accounts import models\n")
    _write(tmp_path, "realtime/services.py", "from botapp import selectors\n")  # peers do not import each other
    _write(tmp_path, "lessons/services/lessons.py", "from subscriptions.services import x\nfrom accounts import y\n")
    _write(tmp_path, "botapp/worker.py", "from lessons.models import Lesson\nfrom . import services\n")
    _write(tmp_path, "accounts/tests/test_x.py", "from lessons.models import Lesson\n")  # tests are exempt
    _write(tmp_path, "tutorcal/urls.py", "from lessons import views\n")  # the composition root is exempt
    _write(tmp_path, "bench/people_bench.py", "from lessons.models import Lesson\n")  # not an app
    assert upward_imports(tmp_path) == [
        "accounts/services/users.py:1 imports lessons.models",
        "realtime/services.py:1 imports botapp",
        "subscriptions/selectors.py:2 imports botapp.services",
        "tutorcal/events.py:1 imports accounts",
    ]
