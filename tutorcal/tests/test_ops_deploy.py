"""Deployment artefacts checked without a Docker engine: compose.prod.yml, the Dockerfile (hadolint), the nginx
site template and its renderer, the container entrypoint and health check, deploy.sh, and production settings
(`manage.py check --deploy --fail-level WARNING`)."""

import http.server
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "nginx"))
import render as nginx_render  # noqa: E402

APP_ROLES = {"migrate": "migrate", "web": "web", "asgi": "asgi", "worker": "worker"}


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_TESTING"}
    env.update(
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SECRET=secrets.token_urlsafe(40),
        BOT_ADMIN_SECRET=secrets.token_urlsafe(24),
        TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
        DJANGO_ALLOWED_HOSTS="api.example.com",
        CSRF_TRUSTED_ORIGINS="https://api.example.com",
    )
    env.update(extra)
    return env


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- production settings -------------------------------------------------------------------------------------


def test_deploy_checks_pass_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "JWT_SECRET", "BOT_ADMIN_SECRET", "TELEGRAM_WEBHOOK_SECRET"])
def test_production_settings_refuse_to_start_without_a_secret(missing):
    env = production_env()
    env.pop(missing)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


# --- compose.prod.yml ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.prod.yml").read_text())


def published(service: dict) -> list:
    return service.get("ports") or []


def test_compose_defines_every_service(compose):
    assert set(compose["services"]) == {"postgres", "redis", "redis-views", "migrate", "web", "asgi", "worker"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in compose["services"]["postgres"]["volumes"])


def test_postgres_and_redis_publish_no_ports(compose):
    for name in ("postgres", "redis", "redis-views"):
        service = compose["services"][name]
        assert not published(service), f"{name} must not publish ports"
        assert service.get("network_mode") != "host"
        assert "healthcheck" in service


def test_every_published_port_binds_loopback_only(compose):
    seen = []
    for name, service in compose["services"].items():
        assert service.get("network_mode") != "host", name
        for port in published(service):
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", (name, port)
            else:
                assert str(port).startswith("127.0.0.1:"), (name, port)
            seen.append(name)
    assert sorted(seen) == ["asgi", "web"]


def test_app_roles_share_one_image_configured_from_env_file(compose):
    services = compose["services"]
    images = {services[name]["image"] for name in APP_ROLES}
    assert len(images) == 1
    for name, role in APP_ROLES.items():
        service = services[name]
        assert service["command"] == [role]
        assert service["env_file"] == ".env"
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert service["environment"]["DJANGO_DEBUG"] == "False"
        assert "${POSTGRES_PASSWORD:?" in service["environment"]["DATABASE_URL"], "no default database password"
        assert service.get("read_only") is True and "ALL" in service["cap_drop"]


def test_roles_start_after_a_successful_migration_and_restart_on_failure(compose):
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "asgi", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"
    for name in ("postgres", "redis", "redis-views"):
        assert services[name]["restart"] == "unless-stopped"


def test_resources_fit_a_one_gigabyte_vps(compose):
    def megabytes(value: str) -> int:
        number, unit = re.fullmatch(r"(\d+)([mg])", value).groups()
        return int(number) * (1024 if unit == "g" else 1)

    long_running = [n for n in compose["services"] if n != "migrate"]
    for name, service in compose["services"].items():
        assert "mem_limit" in service, name
        assert service["logging"]["options"]["max-size"], "container logs are bounded"
    assert sum(megabytes(compose["services"][n]["mem_limit"]) for n in long_running) <= 1200


def test_compose_holds_no_literal_secrets(compose):
    text = (ROOT / "compose.prod.yml").read_text()
    assert "ALTER USER" not in text
    for key in ("POSTGRES_PASSWORD", "JWT_SECRET", "DJANGO_SECRET_KEY", "BOT_TOKEN"):
        for match in re.finditer(rf"^\s*{key}:\s*(\S+)", text, re.M):
            assert match.group(1).startswith("${"), f"{key} must come from .env"


# --- Dockerfile and container scripts ------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_static_files():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", text)
    assert len(re.findall(r"^FROM ", text, re.M)) == 2
    assert "pip wheel" in text and "--no-index --find-links=/wheels" in text
    user = re.findall(r"^USER (\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK ", text, re.M)
    assert "collectstatic --noinput" in text
    entrypoint = (ROOT / "docker/entrypoint.sh").read_text()
    for role in ("web)", "asgi)", "worker)", "migrate)", "manage)"):
        assert role in entrypoint
    assert "gunicorn tutorcal.wsgi:application" in entrypoint
    assert "tutorcal.asgi:application" in entrypoint
    assert "manage.py run_worker" in entrypoint


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint") or (Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run([str(hadolint), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_is_valid_posix_shell():
    assert subprocess.run(["sh", "-n", str(ROOT / "docker/entrypoint.sh")]).returncode == 0
    assert subprocess.run(["bash", "-n", str(ROOT / "deploy.sh")]).returncode == 0


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200
    seen_hosts: list = []

    def do_GET(self):
        _Health.seen_hosts.append(self.headers["Host"])
        self.send_response(_Health.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ready"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_healthcheck(role: str, port: int) -> int:
    env = {**os.environ, "WEB_PORT": str(port), "ASGI_PORT": str(port), "DJANGO_ALLOWED_HOSTS": ".example.com,x"}
    script = ROOT / "docker/healthcheck.py"
    return subprocess.run([sys.executable, str(script), "--role", role], env=env, capture_output=True).returncode


def test_container_healthcheck_follows_the_ready_endpoint(health_server):
    port = health_server.server_address[1]
    _Health.status = 200
    assert run_healthcheck("web", port) == 0
    assert _Health.seen_hosts[-1] == "example.com", "sends an allowed Host"
    _Health.status = 503
    assert run_healthcheck("asgi", port) == 1
    assert run_healthcheck("worker", port) == 0, "roles without HTTP are healthy while running"


def test_container_healthcheck_fails_when_nothing_answers():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    assert run_healthcheck("web", free_port) == 1


# --- deploy.sh -----------------------------------------------------------------------------------------------


def test_deploy_script_backs_up_migrates_and_restarts_roles_one_by_one():
    text = (ROOT / "deploy.sh").read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -Eeuo pipefail" in text
    steps = ["git pull --ff-only", "build --pull", "manage backup", 'step "migrate"', "for service in asgi web worker"]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions), "pull → build → backup → migrate → restart"
    assert "--wait" in text and "healthcheck.py" in text
    for forbidden in ("ALTER USER", "psql", "|| true", "createsuperuser", "admin/admin"):
        assert forbidden not in text, forbidden


# --- nginx ---------------------------------------------------------------------------------------------------


def location_blocks(conf: str) -> dict[str, str]:
    pattern = re.compile(r"^    location\s+([^{]+?)\s*\{(.*?)\n    \}", re.S | re.M)
    return {m.group(1): m.group(2) for m in pattern.finditer(conf)}


def test_nginx_routes_rest_and_admin_to_gunicorn_and_websocket_and_webhook_to_daphne():
    conf = nginx_render.render(domain="api.example.com", mode="tls")
    blocks = location_blocks(conf)
    assert "proxy_pass http://tutorcal_asgi" in blocks["/ws/"]
    assert "proxy_read_timeout 3600s" in blocks["/ws/"]
    assert "proxy_pass http://tutorcal_asgi" in blocks["= /api/bot/webhook"]
    for location in ("/api/", "/admin/", "/static/", "/api/auth/", "= /", "/app"):
        assert "proxy_pass http://tutorcal_web" in blocks[location], location
    assert "limit_req zone=tutorcal_auth" in blocks["/api/auth/"]
    assert "server 127.0.0.1:8000;" in conf and "server 127.0.0.1:8001;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $tutorcal_connection_upgrade;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "client_max_body_size 2m;" in conf


def test_nginx_never_sets_cors_headers_and_keeps_security_headers_out_of_locations():
    for mode in ("tls", "plain", "acme"):
        conf = nginx_render.render(domain="api.example.com", mode=mode)
        assert not re.search(r"add_header\s+Access-Control", conf, re.I)
        for body in location_blocks(conf).values():
            assert "add_header" not in body and "proxy_set_header" not in body
    tls = nginx_render.render(domain="api.example.com", mode="tls")
    assert "Strict-Transport-Security" in tls and "X-Content-Type-Options" in tls
    assert "ssl_certificate     /etc/letsencrypt/live/api.example.com/fullchain.pem" in tls
    assert "return 301 https://$host$request_uri" in tls
    assert "server_tokens off" in tls


def test_nginx_modes_select_the_right_servers():
    acme = nginx_render.render(domain="api.example.com", mode="acme")
    assert "listen 80;" in acme and "443" not in acme.split("limit_req_zone")[1]
    assert "/.well-known/acme-challenge/" in acme
    plain = nginx_render.render(domain="localhost", mode="plain", listen="127.0.0.1:18080", log_dir="/tmp/x")
    assert "listen 127.0.0.1:18080;" in plain and "ssl_certificate" not in plain
    assert "add_header Strict-Transport-Security" not in plain, "no HSTS over plain HTTP"
    assert "{{" not in plain and "{{" not in acme


@pytest.mark.parametrize(
    "kwargs",
    [
        {"domain": "api.example.com; include /etc/passwd"},
        {"domain": "api.example.com", "web": "127.0.0.1:8000; evil"},
        {"domain": "api.example.com", "log_dir": "relative/path"},
        {"domain": "api.example.com", "mode": "https"},
    ],
)
def test_nginx_renderer_rejects_values_that_would_inject_config(kwargs):
    with pytest.raises(ValueError):
        nginx_render.render(**kwargs)


def test_rendered_nginx_config_passes_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx not installed (the smoke test installs it in CI)")
    site = tmp_path / "site.conf"
    site.write_text(
        nginx_render.render(domain="localhost", mode="plain", listen="127.0.0.1:18099", log_dir=str(tmp_path))
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {site};\n}}\n"
    )
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- .env.example --------------------------------------------------------------------------------------------


def test_env_example_lists_every_variable_with_a_comment():
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented = {}
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            documented[match.group(1)] = index
            above = index - 1
            while above >= 0 and re.match(r"^[A-Z][A-Z0-9_]*=", lines[above]):  # a comment may cover a small group
                above -= 1
            assert above >= 0 and lines[above].startswith("# "), f"{match.group(1)} needs a comment line"
    settings_text = (ROOT / "tutorcal/settings.py").read_text()
    read_by_settings = set(re.findall(r'env\.\w+\("([A-Z][A-Z0-9_]*)"', settings_text)) - {"DJANGO_TESTING"}
    used_by_compose = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "compose.prod.yml").read_text()))
    missing = (read_by_settings | used_by_compose) - set(documented)
    assert not missing, f"add to .env.example: {sorted(missing)}"


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["tini", "--", "/app/docker/entrypoint.sh", "web", ""], "web"),
        (["tini", "--", "/app/docker/entrypoint.sh", "asgi", ""], "asgi"),
        (["tini", "--", "/app/docker/entrypoint.sh", "worker", ""], "other"),
        (["tini", "--", "/app/docker/entrypoint.sh", "manage", "backup", ""], "other"),
        (["tini", "--", "/app/docker/entrypoint.sh", ""], "web"),
        (["/opt/venv/bin/python", "/opt/venv/bin/gunicorn", "tutorcal.wsgi:application"], "web"),
        (["/opt/venv/bin/python", "/opt/venv/bin/daphne", "tutorcal.asgi:application"], "asgi"),
    ],
)
def test_container_healthcheck_reads_the_role_from_pid_1(argv, role):
    sys.path.insert(0, str(ROOT / "docker"))
    try:
        import healthcheck
    finally:
        sys.path.remove(str(ROOT / "docker"))
    assert healthcheck.role_of(argv) == role


def test_only_the_view_cache_redis_may_evict(compose):
    """Logouts and single-use tickets live in `redis`, which refuses to evict; rendered views are disposable and
    live in `redis-views`, which evicts the least recently used."""
    services = compose["services"]
    assert "noeviction" in services["redis"]["command"]
    assert "allkeys-lru" in services["redis-views"]["command"]
    for name in APP_ROLES:
        assert services[name]["environment"]["VIEW_CACHE_URL"] == "redis://redis-views:6379/0"
    for name in ("web", "asgi", "worker"):
        assert services[name]["depends_on"]["redis-views"]["condition"] == "service_healthy"
