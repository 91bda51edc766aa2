#!/bin/sh
# Container roles. The same image runs: web | asgi | worker | migrate | manage <command…> | any command.
set -eu
cd "${APP_DIR:-/app}"
BIND_HOST="${BIND_HOST:-0.0.0.0}"  # the smoke test binds loopback

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    # REST API + admin + static (whitenoise). One sync worker per CPU by default: requests are short and CPU-bound
    # (data is local), and more workers only fought for the cores (bench/README.md). Sync workers: the arbiter kills a worker stuck past --timeout
    # (gthread's heartbeat runs beside a hung request thread, so its --timeout never fires); database and Redis
    # calls are bounded well below it by connect/statement/socket timeouts (settings), answered 503.
    exec gunicorn tutorcal.wsgi:application \
      --bind "${BIND_HOST}:${WEB_PORT:-8000}" \
      --worker-class sync --workers "${WEB_CONCURRENCY:-$(nproc)}" \
      --worker-tmp-dir /dev/shm --timeout "${WEB_TIMEOUT:-30}" --graceful-timeout 20 \
      --max-requests 2000 --max-requests-jitter 200 \
      --access-logfile - --error-logfile - "$@"
    ;;
  asgi)
    # WebSocket (/ws/) and the Telegram webhook; --proxy-headers: the client address comes from nginx.
    exec daphne --bind "${BIND_HOST}" --port "${ASGI_PORT:-8001}" --proxy-headers \
      --http-timeout 60 --access-log - "$@" tutorcal.asgi:application
    ;;
  worker)
    exec python manage.py run_worker "$@"
    ;;
  migrate)
    # Migrations may legitimately run long statements: no statement_timeout here.
    export DB_STATEMENT_TIMEOUT_MS="${DB_STATEMENT_TIMEOUT_MS_MIGRATE:-0}"
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
