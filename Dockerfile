# syntax=docker/dockerfile:1
# One image for every role: web (gunicorn), asgi (daphne), worker (manage.py run_worker), migrate, manage <cmd>.
#   docker build -t tutorcal .        docker run --env-file .env tutorcal web
# Debian 13 (trixie) base: its postgresql-client (17) can dump and restore the PostgreSQL 16 server.

ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
# Wheels for every pinned dependency (compiled here, so the runtime image needs no compiler).
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements.txt


FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=tutorcal.settings \
    DJANGO_DEBUG=False \
    BACKUP_DIR=/backups \
    WEB_PORT=8000 \
    ASGI_PORT=8001

# postgresql-client: pg_dump / pg_restore for manage.py backup / restore. tini: PID 1 that forwards signals.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0700 /backups

COPY --from=builder /wheels /wheels
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv "$VIRTUAL_ENV" \
    && pip install --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && rm -rf /wheels /tmp/requirements.txt

WORKDIR /app
COPY --chown=root:root . /app
# Static files are collected at build time (hashed + compressed for whitenoise). collectstatic needs the
# production secrets check to pass, so it gets throwaway values that exist only in this build step.
RUN DJANGO_SECRET_KEY=collectstatic-only-build-secret-not-used-at-runtime \
    JWT_SECRET=collectstatic-only-build-secret-not-used-at-runtime \
    BOT_ADMIN_SECRET=collectstatic-only-build-value TELEGRAM_WEBHOOK_SECRET=collectstatic-only-build-value \
    python manage.py collectstatic --noinput \
    && chmod 0755 /app/docker/entrypoint.sh /app/docker/healthcheck.py

USER 10001:10001
EXPOSE 8000 8001
# Role-aware: web/asgi answer /api/health/ready (database reachable); other roles report their process alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["python", "/app/docker/healthcheck.py"]
ENTRYPOINT ["tini", "--", "/app/docker/entrypoint.sh"]
CMD ["web"]
