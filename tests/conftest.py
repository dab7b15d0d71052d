"""Shared fixtures. Reference data (categories, document types) comes from migrations; the rest from factories."""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop in the test thread

PASSWORD = "demo-pass-2026"


@pytest.fixture(autouse=True)
def _fresh_adapters():
    """Simulators and reference rows are cached per process; tests get clean SMS logs and fresh reference rows."""
    from core import reference
    from notifications.sms import get_sms_gateway

    get_sms_gateway.cache_clear()
    reference.forget()
    yield
    reference.forget()


@pytest.fixture
def reference_data(db):
    """Categories and document types come from a data migration; transactional tests flush them."""
    import importlib

    from django.apps import apps

    from applications.models import Category

    if not Category.objects.exists():
        importlib.import_module("applications.migrations.0003_reference_data").load(apps, None)
        importlib.import_module("applications.migrations.0005_hearing_objection_type").load(apps, None)


@pytest.fixture
def department(reference_data):
    from tests.factories import make_department

    return make_department()


@pytest.fixture
def users(department):
    from tests.factories import make_users

    return make_users(department)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user, backend="accounts.backends.IinOrUsernameBackend")
        return client

    return _login


@pytest.fixture
def eds_not_required(settings):
    """The workflow as it was before electronic signatures (KEZEK_REQUIRE_EDS off); tests/signatures/ test signing."""
    settings.KEZEK_REQUIRE_EDS = False


@pytest.fixture(scope="session")
def test_pki():
    """A throw-away certification authority (root, NCA-like intermediate, CRLs) and signer keys of every kind."""
    from tests.signatures.pki_support import TestPKI

    return TestPKI.build()


@pytest.fixture
def trust(test_pki, settings, tmp_path):
    """Kezek trusts `test_pki` (its roots, intermediates and current CRLs in a fresh trust directory)."""
    settings.KEZEK_TRUST_DIR = test_pki.write_trust_dir(tmp_path / "trust")
    settings.KEZEK_REQUIRE_EDS = True
    settings.KEZEK_REVOCATION_MODE = "require"
    settings.KEZEK_REVOCATION_FETCH = False
    return test_pki
