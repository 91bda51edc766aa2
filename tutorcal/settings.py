"""Settings, all read from the environment (django-environ).

With no DATABASE_URL / REDIS_URL the service runs on the embedded defaults: SQLite, an in-memory
channel layer and a local-memory cache. With DJANGO_DEBUG=False it refuses to start without its secrets.
"""

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
TESTING = env.bool("DJANGO_TESTING", default=False)

# Development-only fallbacks; production (DEBUG=False) refuses to start without real values.
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production-0000000000"  # 64 bytes: fine for HS512 too
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
JWT_SECRET = env.str("JWT_SECRET", default=_DEV_SECRET if DEBUG else "")
BOT_TOKEN = env.str("BOT_TOKEN", default="")
# python-telegram-bot: opt in to its next major's durations as timedelta (RetryAfter.retry_after); without it every
# 429 warns (PTBDeprecationWarning). botapp.worker.retry_after_seconds reads either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")
BOT_USERNAME = env.str("BOT_USERNAME", default="your_bot")
TELEGRAM_WEBHOOK_SECRET = env.str("TELEGRAM_WEBHOOK_SECRET", default="")
BOT_ADMIN_SECRET = env.str("BOT_ADMIN_SECRET", default="")
BETA_CODE = env.str("BETA_CODE", default="")
TELEGRAM_API_BASE_URL = env.str("TELEGRAM_API_BASE_URL", default="https://api.telegram.org/bot{token}")
TELEGRAM_INIT_DATA_MAX_AGE = env.int("TELEGRAM_INIT_DATA_MAX_AGE", default=86400)
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(BASE_DIR / "backups")))
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=14)  # manage.py backup rotation; 0 = keep all

if not DEBUG:
    # (name, value, minimum length): JWT_SECRET signs tokens; the two header secrets are guessable from the internet.
    _SECRETS = [
        ("DJANGO_SECRET_KEY", SECRET_KEY, 1),
        ("JWT_SECRET", JWT_SECRET, 32),
        ("BOT_ADMIN_SECRET", BOT_ADMIN_SECRET, 24),
        ("TELEGRAM_WEBHOOK_SECRET", TELEGRAM_WEBHOOK_SECRET, 24),
    ]
    _missing = [name for name, value, _ in _SECRETS if not value]
    if _missing:
        raise ImproperlyConfigured(f"Production settings need: {', '.join(_missing)}")
    for _name, _value, _length in _SECRETS:
        if len(_value) < _length:
            raise ImproperlyConfigured(f"{_name} must be at least {_length} characters")
    if _DEV_SECRET in (SECRET_KEY, JWT_SECRET):
        raise ImproperlyConfigured("Development secrets cannot be used with DJANGO_DEBUG=False")
    # The published .env.example placeholders ("change-me…") are as public as a hard-coded fallback.
    _placeholders = [name for name, value, _ in _SECRETS if value.strip().lower().startswith("change-me")]
    if _placeholders:
        names = ", ".join(_placeholders)
        raise ImproperlyConfigured(f"These secrets still hold the .env.example placeholder, set real ones: {names}")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
# The built-in Mini App (webapp/) on this server: https://<first allowed host>/app in production,
# http://127.0.0.1:8000/app with DEBUG. Set WEBAPP_URL only to point the bot at another frontend.
_THIS_SERVER = f"https://{ALLOWED_HOSTS[0]}" if not DEBUG and ALLOWED_HOSTS else "http://127.0.0.1:8000"
WEBAPP_URL = (env.str("WEBAPP_URL", default="") or f"{_THIS_SERVER}/app").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Not "daphne": its app installs the Twisted reactor on import (~45 MB in every gunicorn worker) only to take
    # over `runserver`; daphne serves the ASGI side as its own command (make run, the asgi role).
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served from our static files, pinned, never a CDN
    "corsheaders",
    "channels",
    "tutorcal",
    "accounts",
    "subscriptions",
    "lessons",
    "botapp",
    "realtime",
    "staff",
    "webapp",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # request count/latency for /metrics
    "django.middleware.security.SecurityMiddleware",
    "tutorcal.middleware.RequestGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "staff.request_log.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "tutorcal.urls"
WSGI_APPLICATION = "tutorcal.wsgi.application"
ASGI_APPLICATION = "tutorcal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has writers in more than one thread (requests, the request-log flusher): take the
    # write lock when a transaction begins and wait for it, instead of failing with "database is locked";
    # WAL lets readers go on while one thread writes.
    _lite = DATABASES["default"].setdefault("OPTIONS", {})
    _lite.setdefault("transaction_mode", "IMMEDIATE")
    _lite.setdefault("timeout", 20)
    _lite.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: one per worker thread, re-checked before reuse.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable database answers 503 within seconds instead of hanging a worker: libpq gives up connecting
    # after DB_CONNECT_TIMEOUT s, the server cancels a statement after DB_STATEMENT_TIMEOUT_MS (0 = never; the
    # migrate role and the test runner use 0), and the kernel drops a connection whose packets go unacknowledged
    # (a partition).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3))
    _pg_options.setdefault("tcp_user_timeout", env.int("DB_TCP_USER_TIMEOUT_MS", default=5000))
    _pg_options.setdefault("keepalives_idle", 10)
    _pg_options.setdefault("keepalives_interval", 2)
    _pg_options.setdefault("keepalives_count", 3)
    _pg_options["options"] = (
        _pg_options.get("options", "")
        + f" -c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=0 if TESTING else 5000)}"
    ).strip()
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

REDIS_URL = env.str("REDIS_URL", default="")
# Seconds to connect to / wait for Redis before the call fails (503, never a hung worker).
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
_REDIS_TIMEOUTS = {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}


def _redis_cache(location: str, **options) -> dict:
    return {
        "BACKEND": "tutorcal.cache.ReusingRedisCache",
        "LOCATION": location,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="tutorcal"),
        "OPTIONS": {**_REDIS_TIMEOUTS, **options},
    }


if REDIS_URL:
    CACHES = {
        "default": _redis_cache(REDIS_URL, health_check_interval=30),
        # Rendered views (tutorcal/viewcache.py): disposable, so production gives them a Redis of their own that
        # evicts (the default one never evicts: it holds logouts and single-use tickets). Empty: REDIS_URL.
        "views": _redis_cache(env.str("VIEW_CACHE_URL", default="") or REDIS_URL),
    }
    # pubsub: Redis pushes each frame to the daphne process holding the socket (no per-message polling), which
    # is what keeps fan-out to many sockets fast (bench/README.md); "core" is channels_redis' list-based layer.
    _LAYER = {
        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "core": "channels_redis.core.RedisChannelLayer",
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _LAYER[env.str("CHANNEL_LAYER", default="pubsub")],
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, **_REDIS_TIMEOUTS}],
                "prefix": env.str("CHANNEL_PREFIX", default="tutorcal"),
            },
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "views": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "views"},
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"  # API validation messages in English, as the reference
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
ZoneInfo(TIME_ZONE)  # fail fast on a typo
USE_I18N = True
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG else "webapp.storage.StaticStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Pinned to the settings' DEBUG, not read at request time: pytest-django switches DEBUG off while tests run, and
# whitenoise would then want a collected STATIC_ROOT that only production builds (collectstatic) have.
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False  # bearer tokens, no cookies

AUTH_THROTTLE_RATE = env.str("AUTH_THROTTLE_RATE", default="30/minute")
# Number of trusted reverse proxies in front of us (nginx = 1); the client IP is read from X-Forwarded-For.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0 if DEBUG else 1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ProfileJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["tutorcal.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tutorcal.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "tutorcal.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tutorcal.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": AUTH_THROTTLE_RATE, "auth_user": AUTH_THROTTLE_RATE},
    # 0 = no proxy: REMOTE_ADDR (None would make DRF trust the whole client-sent X-Forwarded-For).
    "NUM_PROXIES": max(0, TRUSTED_PROXIES),
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_LIFETIME", default=7 * 86400)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_REFRESH_LIFETIME", default=30 * 86400)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "sub",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tutor Calendar API",
    "DESCRIPTION": "Backend of the Tutor Calendar Telegram Mini App.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set where field names collide (status, type, frequency, role).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.serializers.ROLE_CHOICES",
        "LessonStatusEnum": "lessons.serializers.STATUS",
        "SeriesFrequencyEnum": "lessons.output.FREQUENCY",
        "RecurrenceFrequencyEnum": ["none", "weekly", "biweekly"],
        "SubscriptionTypeEnum": "subscriptions.models.Subscription.Type",
        "InvitationTypeEnum": ["student", "parent"],
        "HealthStatusEnum": ["ok", "degraded"],
        "LiveStatusEnum": ["ok"],
        "ReadinessEnum": ["ready", "not_ready"],
        "CheckStatusEnum": ["connected", "error"],
        "CancelOutcomeEnum": "lessons.output.CANCEL_OUTCOME",
    },
}

# Behind nginx (TLS terminated there).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^api/health"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Realtime: how long a WebSocket ticket is valid (seconds) and the presence heartbeat expiry.
REALTIME_TICKET_TTL = env.int("REALTIME_TICKET_TTL", default=30)
REALTIME_PRESENCE_TTL = env.int("REALTIME_PRESENCE_TTL", default=60)
REALTIME_ALLOWED_ORIGINS = env.list("REALTIME_ALLOWED_ORIGINS", default=[])

# Bot worker (botapp/worker.py): messages/s per worker process (with N workers set 25/N to hold ≈25/s overall),
# seconds between two messages to one chat (shared through the cache), rows per claim, retention of sent rows.
BOT_SEND_RATE = env.float("BOT_SEND_RATE", default=25.0)
BOT_CHAT_INTERVAL = env.float("BOT_CHAT_INTERVAL", default=1.0)
BOT_WORKER_BATCH = env.int("BOT_WORKER_BATCH", default=100)
BOT_OUTBOX_RETENTION_DAYS = env.int("BOT_OUTBOX_RETENTION_DAYS", default=30)
# Google Calendar (lessons/calendars/google.py): off (404 GOOGLE_NOT_CONFIGURED) until the client id, secret and
# redirect URI are set. The endpoints are settings so tests talk to a fake Google on 127.0.0.1.
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_REDIRECT_URI = env.str("GOOGLE_REDIRECT_URI", default="")
GOOGLE_AUTHORIZE_URL = env.str("GOOGLE_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_OAUTH_BASE_URL = env.str("GOOGLE_OAUTH_BASE_URL", default="https://oauth2.googleapis.com").rstrip("/")
GOOGLE_API_BASE_URL = env.str("GOOGLE_API_BASE_URL", default="https://www.googleapis.com").rstrip("/")
# Fernet key(s) encrypting Google refresh tokens at rest; comma-separated, the first encrypts (rotation).
GOOGLE_TOKEN_KEY = env.str("GOOGLE_TOKEN_KEY", default="")
if not DEBUG and GOOGLE_CLIENT_ID and not GOOGLE_TOKEN_KEY:
    raise ImproperlyConfigured("GOOGLE_TOKEN_KEY is required when Google Calendar is configured")
# Public base URL of this API (https://api.example.com) for links made outside a request (the bot's /calendar);
# empty = WEBAPP_URL (when nginx serves the API and the Mini App on one host).
PUBLIC_API_URL = env.str("PUBLIC_API_URL", default="").rstrip("/")
# Test-only: lets the calendar URL fetcher reach 127.0.0.1 (never read from the environment).
CALENDAR_FETCH_ALLOW_LOOPBACK = False

SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "botapp.schema.add_webhook_path",
    "lessons.calendars.schema.add_feed_path",
]

# Staff (staff/): support desk, analytics, request log, staff API, /metrics.
SUPPORT_CHAT_ID = env.int("SUPPORT_CHAT_ID", default=0) or None  # Telegram chat that hears of new messages
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="")
SUPPORT_LANDING_THROTTLE_RATE = env.str("SUPPORT_LANDING_THROTTLE_RATE", default="5/hour")
SUPPORT_USER_THROTTLE_RATE = env.str("SUPPORT_USER_THROTTLE_RATE", default="20/hour")
ANALYTICS_THROTTLE_RATE = env.str("ANALYTICS_THROTTLE_RATE", default="120/minute")
ANALYTICS_RETENTION_DAYS = env.int("ANALYTICS_RETENTION_DAYS", default=180)
ADMIN_TOKEN_LIFETIME = env.int("ADMIN_TOKEN_LIFETIME", default=3600)
ADMIN_LOGIN_THROTTLE_RATE = env.str("ADMIN_LOGIN_THROTTLE_RATE", default="10/minute")
ADMIN_LOGIN_MAX_FAILURES = env.int("ADMIN_LOGIN_MAX_FAILURES", default=5)
ADMIN_LOGIN_LOCKOUT = env.int("ADMIN_LOGIN_LOCKOUT", default=900)
REQUEST_LOG_ENABLED = env.bool("REQUEST_LOG_ENABLED", default=True)
REQUEST_LOG_DAYS = env.int("REQUEST_LOG_DAYS", default=30)
REQUEST_LOG_FLUSH_SECONDS = env.float("REQUEST_LOG_FLUSH_SECONDS", default=2.0)
REQUEST_LOG_BATCH = env.int("REQUEST_LOG_BATCH", default=500)
REQUEST_LOG_BUFFER_MAX = env.int("REQUEST_LOG_BUFFER_MAX", default=20000)
# Tests flush explicitly; servers flush from a background thread.
REQUEST_LOG_BACKGROUND = env.bool("REQUEST_LOG_BACKGROUND", default=not TESTING)
# Rendered views cached per profile under its stamp (tutorcal/viewcache.py): lifetime, and in tests a
# re-render on every hit that fails when the cached body is stale. RELEASE names the deployed build.
VIEW_CACHE_SECONDS = env.int("VIEW_CACHE_SECONDS", default=3600)
VIEW_CACHE_VERIFY = env.bool("VIEW_CACHE_VERIFY", default=TESTING)
RELEASE = env.str("RELEASE", default="dev")
# After a Redis failure, code that can do without the cache skips it this long (tutorcal/cache_guard.py).
CACHE_REST_SECONDS = env.float("CACHE_REST_SECONDS", default=3.0)
# /api/health checks PostgreSQL and Redis at most this often per process (0: on every request; tests).
HEALTH_CACHE_SECONDS = env.float("HEALTH_CACHE_SECONDS", default=0.0 if TESTING else 1.0)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")  # Bearer token for /metrics from outside the internal networks
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
)

# E-mail (sent by the worker from the outbox): EMAIL_URL as django-environ reads it, smtp://user:pass@host:587,
# smtp+tls://… (STARTTLS), smtp+ssl://… (implicit TLS); certificates are verified. Unset = console backend.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tutors Calendar <noreply@tutorscalendar.ru>")
# E-mail accounts (accounts/services/email_auth.py): wrong codes per code, lifetimes, throttles.
EMAIL_CODE_MAX_ATTEMPTS = env.int("EMAIL_CODE_MAX_ATTEMPTS", default=5)
EMAIL_CODE_TTL = env.int("EMAIL_CODE_TTL", default=600)
EMAIL_LINK_TTL = env.int("EMAIL_LINK_TTL", default=86400)
PASSWORD_RESET_TTL = env.int("PASSWORD_RESET_TTL", default=3600)
EMAIL_PENDING_SIGNUP_TTL = env.int("EMAIL_PENDING_SIGNUP_TTL", default=86400)
EMAIL_SEND_ADDRESS_THROTTLE_RATE = env.str("EMAIL_SEND_ADDRESS_THROTTLE_RATE", default="5/hour")
EMAIL_SEND_IP_THROTTLE_RATE = env.str("EMAIL_SEND_IP_THROTTLE_RATE", default="20/hour")
EMAIL_LOGIN_ADDRESS_THROTTLE_RATE = env.str("EMAIL_LOGIN_ADDRESS_THROTTLE_RATE", default="10/hour")
EMAIL_LOGIN_IP_THROTTLE_RATE = env.str("EMAIL_LOGIN_IP_THROTTLE_RATE", default="60/hour")

# MAX messenger: initData is checked like Telegram's but keyed with MAX_BOT_TOKEN; no token = MAX sign-in and bot off.
MAX_BOT_TOKEN = env.str("MAX_BOT_TOKEN", default="")
MAX_BOT_USERNAME = env.str("MAX_BOT_USERNAME", default="")  # the open_app button's web_app
MAX_API_BASE_URL = env.str("MAX_API_BASE_URL", default="https://platform-api.max.ru").rstrip("/")
MAX_WEBHOOK_SECRET = env.str("MAX_WEBHOOK_SECRET", default="")  # MAX sends it in X-Max-Bot-Api-Secret
MAX_INIT_DATA_MAX_AGE = env.int("MAX_INIT_DATA_MAX_AGE", default=TELEGRAM_INIT_DATA_MAX_AGE)
if not DEBUG and MAX_BOT_TOKEN and (len(MAX_WEBHOOK_SECRET) < 24 or MAX_WEBHOOK_SECRET.startswith("change-me")):
    raise ImproperlyConfigured("MAX_BOT_TOKEN is set: MAX_WEBHOOK_SECRET must be a real secret of 24+ characters")
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["SupportStatusEnum"] = "staff.models.SupportMessage.Status"
