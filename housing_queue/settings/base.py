"""Settings shared by every environment; everything that differs comes from environment variables."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("KEZEK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_fsm",  # manage.py graph_transitions (make docs)
    "core",
    "accounts",
    "audit",
    "queues",
    "applications",
    "documents",
    "notifications",
    "eligibility",
    "deadlines",
    "signatures",
    "allocation",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "housing_queue.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "housing_queue.urls"
WSGI_APPLICATION = "housing_queue.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL in production and CI; SQLite only so `make run` works on a bare machine.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'kezek.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.IinOrUsernameBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"

# Failed-login lockout: 5 failures per username+IP lock for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"  # the same address as the lookup limit (KEZEK_TRUSTED_PROXIES)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "housing_queue.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
        # NCALayer, the NCA's signing app, listens on the user's own machine (signatures/, static/js/eds-sign.js)
        "connect-src": ["'self'", os.environ.get("KEZEK_NCALAYER_URL", "wss://127.0.0.1:13579")],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["housing_queue.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kezek_language"
LANGUAGE_COOKIE_SECURE = False

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded documents: served only through access-checked views, never from MEDIA_URL.
MEDIA_URL = "/media-not-served/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# seconds a process keeps reference rows intake reads per case (core/reference.py); 0 turns that cache off
KEZEK_REFERENCE_CACHE_SECONDS = float(os.environ.get("KEZEK_REFERENCE_CACHE_SECONDS", "5"))
KEZEK_UPLOAD_MAX_BYTES = int(os.environ.get("KEZEK_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "outbox-mail"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "kezek@localhost")

# Celery: with REDIS_URL tasks go to a worker; without it they run in-process (bare-machine mode).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A task taken by a worker that dies unacknowledged (acks_late) goes back to the queue after the visibility timeout.
KEZEK_BROKER_VISIBILITY_TIMEOUT = int(os.environ.get("KEZEK_BROKER_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "socket_connect_timeout": 2,
                                   "visibility_timeout": KEZEK_BROKER_VISIBILITY_TIMEOUT}
KEZEK_OUTBOX_RELAY_SECONDS = float(os.environ.get("KEZEK_OUTBOX_RELAY_SECONDS", "30"))  # pending outbox re-sent
# Handing an outbox message to the broker after commit: one quick reconnect, then leave it to the relay, so a
# Redis outage adds milliseconds, not seconds, to the request that accepted the application.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "audit.relay_outbox", "schedule": KEZEK_OUTBOX_RELAY_SECONDS},
    # due-soon and overdue steps: alerts and breach records (deadlines/enforcement.py); idempotent
    "enforce-deadlines": {"task": "deadlines.enforce", "schedule": 300.0},
    # published queue lists (queues/tasks.py), in CELERY_TIMEZONE (Asia/Almaty): monthly on the 1st at 02:00
    # (2025 national base), the named "YYYY Q1" snapshot on 20 March at 03:00; both idempotent per period
    "publish-queue-lists-monthly": {"task": "queues.publish_monthly",
                                    "schedule": crontab(minute=0, hour=2, day_of_month=1)},
    "publish-queue-lists-annual": {"task": "queues.publish_annual",
                                   "schedule": crontab(minute=0, hour=3, day_of_month=20, month_of_year=3)},
    # snapshots left generating by a worker that died are finished (queues.services.publication)
    "resume-queue-publications": {"task": "queues.resume_publications", "schedule": 600.0},
    # housing offers past their answer time lapse and the next person is proposed (allocation/); idempotent
    "expire-allocation-offers": {"task": "allocation.expire_offers", "schedule": 900.0},
    # personal data of refused and withdrawn cases past their retention period is erased (privacy/); idempotent
    "apply-retention": {"task": "privacy.apply_retention", "schedule": crontab(minute=30, hour=3)},
}

# Retention of closed cases (privacy/services/retention.py, README "Personal data"): days after a case was finally
# refused or withdrawn before its personal data is erased (scans, contacts, family details; the case skeleton and
# the audit and queue logs stay). Assumed basis: Law No. 94-V "On personal data" art. 12 (no longer than the purpose
# needs); 5 years for refusals cover the administrative appeal and court periods and the 3-year general limitation
# period (Civil Code art. 178) with margin; 3 years for withdrawals. Configuration, to be confirmed by the department.
KEZEK_RETENTION_REFUSED_DAYS = int(os.environ.get("KEZEK_RETENTION_REFUSED_DAYS", str(5 * 365)))
KEZEK_RETENTION_WITHDRAWN_DAYS = int(os.environ.get("KEZEK_RETENTION_WITHDRAWN_DAYS", str(3 * 365)))
KEZEK_RETENTION_RETURNED_DAYS = int(os.environ.get("KEZEK_RETENTION_RETURNED_DAYS", str(3 * 365)))
KEZEK_RETENTION_BATCH = int(os.environ.get("KEZEK_RETENTION_BATCH", "200"))  # cases per transaction

# The state-system adapters; "simulator" is the local stand-in seeded with demo people.
KEZEK_STATE_SYSTEMS = os.environ.get("KEZEK_STATE_SYSTEMS", "simulator")
KEZEK_SMS_BACKEND = os.environ.get("KEZEK_SMS_BACKEND", "simulator")
# The SMS simulator (notifications/sms.py) keeps sends in memory; with a file path it logs them there as JSON lines,
# shared by every process like a real gateway, and answers a repeated idempotency key with the first reference.
KEZEK_SMS_SIMULATOR_LOG = os.environ.get("KEZEK_SMS_SIMULATOR_LOG", "")
KEZEK_SMS_SIMULATOR_DELAY = float(os.environ.get("KEZEK_SMS_SIMULATOR_DELAY", "0"))  # seconds; for fault tests
KEZEK_PDF_FONT_DIRS = env_list("KEZEK_PDF_FONT_DIRS", "/usr/share/fonts/truetype/dejavu")

# Electronic signatures (signatures/trust.py, README "Electronic signatures"). The trust directory holds the
# trusted roots, intermediates and CRLs; `manage.py demo_ca` puts a demo CA and demo keys there.
KEZEK_REQUIRE_EDS = env_bool("KEZEK_REQUIRE_EDS", True)  # portal applications and decisions must be signed
KEZEK_TRUST_DIR = Path(os.environ.get("KEZEK_TRUST_DIR", VAR_DIR / "trust"))
KEZEK_CRL_URLS = env_list("KEZEK_CRL_URLS")  # downloaded into the trust directory by `manage.py refresh_crls`
KEZEK_REVOCATION_MODE = os.environ.get("KEZEK_REVOCATION_MODE", "require")  # require | hard-fail | soft-fail
KEZEK_REVOCATION_FETCH = env_bool("KEZEK_REVOCATION_FETCH", False)  # also fetch CRL/OCSP named in certificates
KEZEK_NCALAYER_URL = os.environ.get("KEZEK_NCALAYER_URL", "wss://127.0.0.1:13579")
KEZEK_PROVIDER_SEAL_P12 = os.environ.get("KEZEK_PROVIDER_SEAL_P12", "")  # server-side seal for rendered PDFs
KEZEK_PROVIDER_SEAL_PASSWORD = os.environ.get("KEZEK_PROVIDER_SEAL_PASSWORD", "")

# Public position lookup (/queue/lookup/): attempts per client IP as "COUNT/SECONDS", counted in the Django cache.
KEZEK_LOOKUP_RATE = os.environ.get("KEZEK_LOOKUP_RATE", "20/600")
# Reverse proxies in front of the web service that append to X-Forwarded-For (core/client_ip.py). 0: the header is
# ignored and REMOTE_ADDR is the client; a wrong, too high number lets clients forge their address.
KEZEK_TRUSTED_PROXIES = int(os.environ.get("KEZEK_TRUSTED_PROXIES", "0"))
# With Redis the cache (and so the lookup limit) is shared by every web worker; without it each process counts alone.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "kezek"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# sessions stay in the database (nothing lost on a Redis restart) and are read through the cache when there is one
SESSION_ENGINE = os.environ.get(
    "DJANGO_SESSION_ENGINE",
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
