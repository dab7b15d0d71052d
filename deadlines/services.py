"""Profiles and the calendar as the rest of the system uses them, and the admin's changes to both.

Everything that shows or enforces a deadline goes through here, so intake, the inbox, the review
services, the enforcement job and the dashboards compute with the same profile version and the
same calendar (the `holidays` package plus the decreed exceptions table).

Caches (per process): a profile version is immutable, so its built Profile is kept by primary key;
the calendar is rebuilt when an exception is added or removed in this process, and at least every
CALENDAR_TTL seconds (other processes — the Celery worker — see a change within that time).
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record_event
from core.reference import remember

from .calendar import WorkingCalendar
from .definition import DefinitionError, profile_from_definition, profile_to_definition
from .models import CalendarException, CalendarExceptionKind, RegulationProfileVersion
from .profiles import BUILTIN_PROFILES, Profile, UnknownProfile, get_profile
from .steps import StepInstance, step_instances

CALENDAR_TTL = 60.0

_lock = threading.Lock()
_calendar_cache: tuple[float, WorkingCalendar] | None = None
_version_profiles: dict[int, Profile] = {}


def clear_caches() -> None:
    global _calendar_cache
    with _lock:
        _calendar_cache = None
        _version_profiles.clear()


def _forget_calendar(**kwargs) -> None:
    global _calendar_cache
    with _lock:
        _calendar_cache = None


def _forget_versions(**kwargs) -> None:
    # a new row may reuse the id of a rolled-back one (SQLite): drop everything, rows are few
    with _lock:
        _version_profiles.clear()


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_forget_calendar, sender=CalendarException, dispatch_uid="deadlines-calendar-saved")
    post_delete.connect(_forget_calendar, sender=CalendarException, dispatch_uid="deadlines-calendar-deleted")
    post_save.connect(_forget_versions, sender=RegulationProfileVersion, dispatch_uid="deadlines-version-saved")


# ---------------------------------------------------------------- the calendar


def _base_calendar() -> WorkingCalendar:
    global _calendar_cache
    cached = _calendar_cache
    if cached is not None and time.monotonic() - cached[0] < CALENDAR_TTL:
        return cached[1]
    rows = list(CalendarException.objects.values_list("date", "kind"))
    calendar = WorkingCalendar(
        extra_days_off=[day for day, kind in rows if kind == CalendarExceptionKind.DAY_OFF],
        extra_working_days=[day for day, kind in rows if kind == CalendarExceptionKind.WORKING_DAY],
    )
    with _lock:
        _calendar_cache = (time.monotonic(), calendar)
    return calendar


def calendar_for(profile: Profile | None = None) -> WorkingCalendar:
    """The working-day calendar with the decreed exceptions, in the profile's office hours if given."""
    calendar = _base_calendar()
    return calendar.with_hours(profile.working_hours) if profile is not None else calendar


# ---------------------------------------------------------------- profile versions


def _remember(version: RegulationProfileVersion) -> RegulationProfileVersion:
    """Versions are immutable rows, so a definition is parsed once per process (intake reads one per case)."""
    known = _version_profiles.get(version.pk)
    if known is not None:
        version.__dict__["profile"] = known  # the cached_property's slot
        return version
    with _lock:
        _version_profiles[version.pk] = version.profile
    return version


def builtin_version(code: str) -> RegulationProfileVersion:
    """The latest built-in version of ``code``; seeded by migration, re-created after a test flush."""
    version = RegulationProfileVersion.objects.filter(provider__isnull=True, code=code).order_by("-version").first()
    if version is None:
        profile = get_profile(code)  # UnknownProfile for a code that was never built in
        version, _created = RegulationProfileVersion.objects.get_or_create(
            provider=None, code=code, version=1,
            defaults={"definition": profile_to_definition(profile), "note": "built-in"},
        )
    return version


def current_profile_version(provider, code: str | None = None) -> RegulationProfileVersion:
    """The provider's latest version of the profile, else the latest built-in one."""
    code = code or provider.regulation_profile

    def load() -> RegulationProfileVersion:
        version = (
            RegulationProfileVersion.objects.filter(Q(provider=provider) | Q(provider__isnull=True), code=code)
            .order_by(F("provider_id").asc(nulls_last=True), "-version")
            .first()
        )
        return _remember(version or builtin_version(code))

    return remember(("profile_version", provider.pk, code), load)  # other processes see a new version within seconds


def current_profile(provider, code: str | None = None) -> Profile:
    return current_profile_version(provider, code).profile


def version_profile(version_id: int) -> Profile:
    profile = _version_profiles.get(version_id)
    if profile is None:
        profile = _remember(RegulationProfileVersion.objects.get(pk=version_id)).profile
    return profile


def profile_for_case(case) -> Profile:
    """The profile version the case was accepted under (built-in by code for cases older than versions)."""
    version_id = getattr(case, "profile_version_id", None)
    if version_id:
        return version_profile(version_id)
    return get_profile(case.regulation_profile)


def versions_for(provider, code: str) -> list[RegulationProfileVersion]:
    """History shown for a provider: its own versions and the built-in ones, newest first."""
    return list(
        RegulationProfileVersion.objects.filter(Q(provider=provider) | Q(provider__isnull=True), code=code)
        .select_related("created_by", "provider")
        .order_by("-created_at", "-id")
    )


def publish_profile_version(provider, code: str, definition, *, note: str, user) -> RegulationProfileVersion:
    """Validate and store a new version for the provider; raises DefinitionError (translated), saves nothing then."""
    if code not in BUILTIN_PROFILES:
        raise UnknownProfile(code)
    if not (note or "").strip():
        raise DefinitionError("note", _("give the reason for the change"))
    profile = profile_from_definition(code, definition)
    normalized = profile_to_definition(profile)
    from accounts.models import Provider

    with transaction.atomic():
        Provider.objects.select_for_update().get(pk=provider.pk)  # one publisher at a time per provider
        if normalized == current_profile_version(provider, code).definition:
            raise DefinitionError("", _("nothing changed compared with the current version"))
        last = RegulationProfileVersion.objects.filter(provider=provider, code=code).aggregate(n=Max("version"))["n"]
        version = RegulationProfileVersion.objects.create(
            provider=provider, code=code, version=(last or 0) + 1, definition=normalized,
            note=note.strip(), created_by=user,
        )
        record_event(
            actor=user, action="regulation_profile.published", obj=version,
            data={"provider": provider.code, "code": code, "version": version.version, "note": version.note},
        )
    return _remember(version)


# ---------------------------------------------------------------- calendar exceptions


class CalendarError(ValueError):
    def __str__(self):
        return self.args[0]


def add_calendar_exception(day: date, kind: str, reason: str, *, user) -> CalendarException:
    if kind not in CalendarExceptionKind.values:
        raise CalendarError(_("Choose whether the day becomes a day off or a working day."))
    if not (reason or "").strip():
        raise CalendarError(_("Give the decree or reason."))
    plain = WorkingCalendar()  # the package's calendar, without the table
    if kind == CalendarExceptionKind.DAY_OFF and not plain.is_working_day(day):
        raise CalendarError(_("%(day)s is already a day off.") % {"day": day.strftime("%d.%m.%Y")})
    if kind == CalendarExceptionKind.WORKING_DAY and plain.is_working_day(day):
        raise CalendarError(_("%(day)s is already a working day.") % {"day": day.strftime("%d.%m.%Y")})
    with transaction.atomic():
        if CalendarException.objects.select_for_update().filter(date=day).exists():
            raise CalendarError(_("%(day)s already has an exception; remove it first.") % {"day": day.strftime("%d.%m.%Y")})
        exception = CalendarException.objects.create(date=day, kind=kind, reason=reason.strip(), created_by=user)
        record_event(actor=user, action="calendar.exception_added", obj=exception,
                     data={"date": day.isoformat(), "kind": kind, "reason": exception.reason})
    transaction.on_commit(_forget_calendar)
    return exception


def remove_calendar_exception(exception: CalendarException, *, user) -> None:
    with transaction.atomic():
        record_event(actor=user, action="calendar.exception_removed", obj=exception,
                     data={"date": exception.date.isoformat(), "kind": exception.kind, "reason": exception.reason})
        exception.delete()
    transaction.on_commit(_forget_calendar)


# ---------------------------------------------------------------- a case's steps


def case_events(case) -> list:
    return list(case.events.order_by("at", "id").only("at", "action", "from_state", "to_state", "application_id"))


def case_steps(case, events=None, now: datetime | None = None) -> list[StepInstance]:
    """The case's step instances (deadlines.steps), computed with its profile version and the calendar."""
    profile = profile_for_case(case)
    return step_instances(
        case, case_events(case) if events is None else events, profile, calendar_for(), now or timezone.now()
    )
