"""Developer machine: `make run`. DEBUG on unless told otherwise."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)

# The demo housing department's seal (`manage.py demo_ca`, run by seed_demo) seals the published queue lists and
# rendered PDFs when nothing else is configured; production names its seal explicitly (KEZEK_PROVIDER_SEAL_P12).
# One seal per department: "{provider}" in the path stands for the department's code.
if not KEZEK_PROVIDER_SEAL_P12 and any((KEZEK_TRUST_DIR / "demo-keys").glob("provider-seal-*.p12")):  # noqa: F405
    KEZEK_PROVIDER_SEAL_P12 = str(KEZEK_TRUST_DIR / "demo-keys" / "provider-seal-{provider}.p12")  # noqa: F405
    KEZEK_PROVIDER_SEAL_PASSWORD = KEZEK_PROVIDER_SEAL_PASSWORD or "demo-pass-2026"  # noqa: F405
