#!/usr/bin/env bash
# Update production: pull → build → back up → migrate → restart roles one by one, each waiting on its health
# check → print health. Safe to re-run; stops at the first failure (nothing is ignored) with the failing
# service's last log lines. No hand-run SQL, no password changes, no default accounts.
#
#   ./deploy.sh               full update from origin (fast-forward only)
#   ./deploy.sh --no-pull     deploy the working tree as it is (e.g. after checking out a tag)
#   ./deploy.sh --no-backup   skip the pre-migration backup (not recommended)
set -Eeuo pipefail
cd "$(dirname "$(readlink -f "$0")")"

COMPOSE=(docker compose -f compose.prod.yml)
WAIT_TIMEOUT="${DEPLOY_WAIT_TIMEOUT:-120}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"
PULL=1
BACKUP=1
for arg in "$@"; do
  case "$arg" in
    --no-pull) PULL=0 ;;
    --no-backup) BACKUP=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
fail() {
  echo "deploy FAILED: $*" >&2
  exit 1
}
trap 'fail "command failed at line $LINENO: $BASH_COMMAND"' ERR

[ -f .env ] || fail ".env is missing: cp .env.example .env and fill it in (README, Operators)"
"${COMPOSE[@]}" version >/dev/null 2>&1 || fail "Docker Compose v2 is needed (docker compose …)"
"${COMPOSE[@]}" config --quiet || fail "compose.prod.yml or .env is invalid"

if [ "$PULL" = 1 ]; then
  step "git pull --ff-only"
  git pull --ff-only
fi
echo "revision: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

step "build the image (the running containers keep serving)"
"${COMPOSE[@]}" build --pull

step "database and redis up"
"${COMPOSE[@]}" up -d --wait --wait-timeout "$WAIT_TIMEOUT" postgres redis

# Backups land in ./backups (BACKUP_HOST_DIR); the container user is uid 10001.
BACKUP_HOST_DIR="${BACKUP_HOST_DIR:-./backups}"
mkdir -p "$BACKUP_HOST_DIR"
if [ "$(stat -c %u "$BACKUP_HOST_DIR")" != 10001 ]; then
  chown 10001:10001 "$BACKUP_HOST_DIR" 2>/dev/null \
    || fail "run once: sudo chown 10001:10001 $BACKUP_HOST_DIR && sudo chmod 700 $BACKUP_HOST_DIR"
  chmod 700 "$BACKUP_HOST_DIR"
fi

if [ "$BACKUP" = 1 ]; then
  step "back up the database (verified) before migrating"
  "${COMPOSE[@]}" run --rm --no-deps migrate manage backup --verify --keep-days "$BACKUP_KEEP_DAYS"
fi

step "migrate"
"${COMPOSE[@]}" run --rm --no-deps migrate

step "restart roles one by one"
for service in asgi web worker; do
  echo "--- $service"
  if ! "${COMPOSE[@]}" up -d --no-deps --wait --wait-timeout "$WAIT_TIMEOUT" "$service"; then
    "${COMPOSE[@]}" logs --tail 80 "$service" >&2
    fail "$service did not become healthy within ${WAIT_TIMEOUT}s"
  fi
done

step "health"
"${COMPOSE[@]}" ps
"${COMPOSE[@]}" exec -T web python /app/docker/healthcheck.py --role web --show

step "remove dangling images"
docker image prune -f >/dev/null

echo
echo "deploy OK"
