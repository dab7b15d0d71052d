"""Deadline tests: the per-process profile and calendar caches start and end empty in every test,
so a calendar exception or profile version a test created (and rolled back) never leaks into another."""

from datetime import datetime, timedelta
from unittest import mock

import pytest

from deadlines.calendar import ALMATY


@pytest.fixture(autouse=True)
def _fresh_deadline_caches():
    from deadlines.services import clear_caches

    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def _head_signs_without_eds(settings):
    """A head's signature is only a workflow step here; EDS signing has its own tests (signatures)."""
    settings.KEZEK_REQUIRE_EDS = False


class Clock:
    """A frozen ``django.utils.timezone.now`` that tests move by hand."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self):
        return self.now

    def set(self, *args):
        self.now = datetime(*args, tzinfo=ALMATY)
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock():
    frozen = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY))  # a Monday
    with mock.patch("django.utils.timezone.now", frozen):
        yield frozen
