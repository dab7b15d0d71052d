"""Test run: fast hashing, in-process tasks, throw-away media."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kezek-test-media-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
MIDDLEWARE = [m for m in MIDDLEWARE if "whitenoise" not in m]  # noqa: F405  (static files come from finders in tests)
KEZEK_TRUST_DIR = Path(tempfile.mkdtemp(prefix="kezek-test-trust-"))  # empty: tests build their own CA (tests/conftest.py)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # never a shared Redis in tests
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # a flushed test database must not leave cached sessions
