"""Profile versions as data (validated, immutable, per provider, with history), the decreed calendar,
and the profile a case keeps; plus the applications services using them."""

import importlib
import json
from datetime import date, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from applications.models import Application
from audit.models import AuditEvent
from deadlines.calendar import ALMATY
from deadlines.definition import (
    DefinitionError,
    parse_definition_text,
    profile_from_definition,
    profile_to_definition,
)
from deadlines.models import CalendarException, ImmutableRow, RegulationProfileVersion
from deadlines.profiles import BUILTIN_PROFILES, NATIONAL_2025, REGIONAL_30D, UnknownProfile
from deadlines.services import (
    CalendarError,
    add_calendar_exception,
    builtin_version,
    calendar_for,
    current_profile_version,
    profile_for_case,
    publish_profile_version,
    remove_calendar_exception,
    versions_for,
)
from tests.factories import file_case, simulated_people


def national(**changes):
    definition = profile_to_definition(NATIONAL_2025)
    definition.update(changes)
    return definition


# ---------------------------------------------------------------- the definition format (pure)


@pytest.mark.parametrize("profile", [NATIONAL_2025, REGIONAL_30D], ids=lambda p: p.code)
def test_builtin_profiles_round_trip_through_json(profile):
    definition = json.loads(json.dumps(profile_to_definition(profile)))
    assert profile_from_definition(profile.code, definition) == profile


def test_migration_seeds_exactly_the_builtin_profiles():
    seed = importlib.import_module("deadlines.migrations.0003_builtin_profiles")
    assert set(seed.BUILTIN_DEFINITIONS) == set(BUILTIN_PROFILES)
    for code, definition in seed.BUILTIN_DEFINITIONS.items():
        assert definition == profile_to_definition(BUILTIN_PROFILES[code]), code


def test_step_order_comes_from_the_workflow_not_the_json():
    definition = national()
    definition["steps"] = dict(reversed(list(definition["steps"].items())))  # jsonb sorts keys anyway
    assert [code for code, _ in profile_from_definition("national-2025", definition).steps] == [
        "registration", "review", "signature", "dispatch"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"steps": {"review": {"amount": -1, "unit": "working_days"}}}, "steps.review.amount"),
        ({"steps": {"review": {"amount": 1.5, "unit": "working_days"}}}, "steps.review.amount"),
        ({"steps": {"review": {"amount": True, "unit": "working_days"}}}, "steps.review.amount"),
        ({"steps": {"review": {"amount": 400, "unit": "calendar_days"}}}, "steps.review.amount"),
        ({"steps": {"review": {"amount": 1, "unit": "fortnights"}}}, "steps.review.unit"),
        ({"steps": {"review": {"amount": 1}}}, "steps.review.unit"),
        ({"steps": {"review": "1 day"}}, "steps.review"),
        ({"steps": {"coffee": {"amount": 1, "unit": "minutes"}}}, "steps.coffee"),
        ({"steps": {}}, "steps"),
        ({"total": {"amount": 0, "unit": "working_days"}}, "total.amount"),
        ({"emergency_steps": {"handout": {"amount": 1, "unit": "working_days"}}}, "emergency_steps.handout"),
        ({"after_hours_next_working_day": "yes"}, "after_hours_next_working_day"),
        ({"working_hours": {"start": "18:00", "end": "09:00", "lunch_start": "13:00", "lunch_end": "14:00"}},
         "working_hours"),
        ({"working_hours": {"start": "9am", "end": "18:30", "lunch_start": "13:00", "lunch_end": "14:30"}},
         "working_hours.start"),
        ({"title": ""}, "title"),
        ({"colour": "blue"}, "colour"),
        ({"review": {"amount": 5, "unit": "working_days"}, "total": {"amount": 2, "unit": "working_days"}}, "review"),
        ({"total": {"amount": 2, "unit": "working_days"}}, "steps"),  # 0 + 1 + 1 + 1 working days > 2
        ({"hearing_notice_before_due": {"amount": 0, "unit": "working_days"}}, "hearing_notice_before_due.amount"),
    ],
)
def test_invalid_definitions_name_the_key(change, path):
    with pytest.raises(DefinitionError) as caught:
        profile_from_definition("national-2025", national(**change))
    assert caught.value.path == path
    assert path in str(caught.value)


def test_a_definition_must_be_a_json_object():
    with pytest.raises(DefinitionError):
        parse_definition_text("{not json")
    with pytest.raises(DefinitionError):
        profile_from_definition("national-2025", [1, 2])
    definition = national()
    del definition["total"]
    with pytest.raises(DefinitionError, match="total"):
        profile_from_definition("national-2025", definition)


def test_optional_keys_take_the_defaults():
    definition = {key: national()[key] for key in ("title", "steps", "total", "after_hours_next_working_day")}
    profile = profile_from_definition("national-2025", definition)
    assert profile.working_hours == NATIONAL_2025.working_hours
    assert profile.complaint_review_by_provider == NATIONAL_2025.complaint_review_by_provider


# ---------------------------------------------------------------- versions


pytest_db = pytest.mark.django_db


@pytest_db
def test_builtin_versions_are_seeded_and_current_for_every_provider(department):
    for code, profile in BUILTIN_PROFILES.items():
        version = current_profile_version(department.provider, code)
        assert version.is_builtin and version.version == 1 and version.profile == profile
    assert current_profile_version(department.provider).code == "national-2025"
    assert current_profile_version(department.other_provider).code == "regional-30d"
    with pytest.raises(UnknownProfile):
        builtin_version("no-such-profile")


@pytest_db
def test_builtin_version_is_recreated_when_the_table_was_flushed(department):
    with connection.cursor() as cursor:  # as a transactional test's flush leaves it (the SQLite trigger allows DELETE)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE deadlines_regulationprofileversion DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM deadlines_regulationprofileversion")
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE deadlines_regulationprofileversion ENABLE TRIGGER USER")
    version = current_profile_version(department.provider)
    assert version.is_builtin and version.profile == NATIONAL_2025


@pytest_db
def test_publishing_versions_keeps_history_per_provider(department, users):
    admin = users["admin"]
    first = publish_profile_version(
        department.provider, "national-2025",
        national(steps={**national()["steps"], "review": {"amount": 2, "unit": "working_days"}},
                 total={"amount": 4, "unit": "working_days"}),
        note="order 42", user=admin,
    )
    second = publish_profile_version(
        department.provider, "national-2025", national(total={"amount": 5, "unit": "working_days"}),
        note="order 43", user=admin,
    )
    assert (first.version, second.version) == (1, 2)
    assert current_profile_version(department.provider).pk == second.pk
    assert current_profile_version(department.other_provider, "national-2025").is_builtin  # other departments unaffected
    history = versions_for(department.provider, "national-2025")
    assert [v.pk for v in history][:2] == [second.pk, first.pk] and history[-1].is_builtin
    assert AuditEvent.objects.filter(action="regulation_profile.published", actor=admin).count() == 2


@pytest_db
def test_an_unchanged_or_unexplained_version_is_refused(department, users):
    with pytest.raises(DefinitionError):
        publish_profile_version(department.provider, "national-2025", national(), note="same", user=users["admin"])
    with pytest.raises(DefinitionError):
        publish_profile_version(department.provider, "national-2025", national(total={"amount": 5, "unit": "working_days"}),
                                note=" ", user=users["admin"])
    with pytest.raises(UnknownProfile):
        publish_profile_version(department.provider, "my-own", national(), note="x", user=users["admin"])
    assert not RegulationProfileVersion.objects.filter(provider=department.provider).exists()


@pytest_db
def test_versions_are_immutable(department, users):
    version = builtin_version("national-2025")
    with pytest.raises(ImmutableRow):
        version.save()
    with pytest.raises(ImmutableRow):
        version.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        RegulationProfileVersion.objects.filter(pk=version.pk).update(note="edited")


@pytest_db
def test_a_case_keeps_its_profile_version_after_a_new_one_is_published(department, users, clock):
    people = simulated_people()
    old_case = file_case(department, users["operator"], person=people[0])
    assert old_case.profile_version.is_builtin
    assert old_case.result_due_at == datetime(2026, 11, 26, 18, 30, tzinfo=ALMATY)  # 3 working days
    new = publish_profile_version(
        department.provider, "national-2025",
        national(steps={**national()["steps"], "review": {"amount": 2, "unit": "working_days"}},
                 total={"amount": 4, "unit": "working_days"}),
        note="order 42", user=users["admin"],
    )
    new_case = file_case(department, users["operator"], person=people[1])
    assert new_case.profile_version_id == new.pk
    assert new_case.result_due_at == datetime(2026, 11, 27, 18, 30, tzinfo=ALMATY)  # 4 working days
    old_case = Application.objects.get(pk=old_case.pk)
    assert profile_for_case(old_case) == NATIONAL_2025
    assert profile_for_case(new_case).total.amount == 4
    assert old_case.result_due_at == datetime(2026, 11, 26, 18, 30, tzinfo=ALMATY)


@pytest_db
def test_a_case_from_before_versions_uses_the_builtin_profile_by_code(department, users):
    case = file_case(department, users["operator"])
    Application.objects.filter(pk=case.pk).update(profile_version=None)
    assert profile_for_case(Application.objects.get(pk=case.pk)) == NATIONAL_2025


# ---------------------------------------------------------------- the calendar


@pytest_db
def test_a_decreed_day_off_moves_the_due_dates_of_new_cases(department, users, clock):
    add_calendar_exception(date(2026, 11, 24), "day_off", "Government decree No. 1", user=users["admin"])
    assert not calendar_for().is_working_day(date(2026, 11, 24))
    case = file_case(department, users["operator"])
    assert case.result_due_at == datetime(2026, 11, 27, 18, 30, tzinfo=ALMATY)  # Tuesday off: Friday, not Thursday
    assert AuditEvent.objects.filter(action="calendar.exception_added").count() == 1


@pytest_db
def test_a_decreed_working_saturday_counts(department, users):
    add_calendar_exception(date(2026, 11, 28), "working_day", "Transfer for 31 December", user=users["admin"])
    assert calendar_for().is_working_day(date(2026, 11, 28))
    exception = CalendarException.objects.get()
    pk = exception.pk
    remove_calendar_exception(exception, user=users["admin"])
    assert not calendar_for().is_working_day(date(2026, 11, 28))
    assert AuditEvent.objects.filter(action="calendar.exception_removed", object_id=str(pk)).exists()


@pytest_db
@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 11, 28), "day_off"),  # a Saturday is off already
        (date(2026, 12, 16), "day_off"),  # Independence Day
        (date(2026, 11, 24), "working_day"),  # a Tuesday works already
        (date(2026, 11, 24), "holiday"),
    ],
)
def test_pointless_exceptions_are_refused(users, day, kind):
    with pytest.raises(CalendarError):
        add_calendar_exception(day, kind, "decree", user=users["admin"])
    assert not CalendarException.objects.exists()


@pytest_db
def test_one_exception_per_day(users):
    add_calendar_exception(date(2026, 11, 24), "day_off", "decree", user=users["admin"])
    with pytest.raises(CalendarError):
        add_calendar_exception(date(2026, 11, 24), "day_off", "again", user=users["admin"])
    with pytest.raises(CalendarError):
        add_calendar_exception(date(2026, 11, 25), "day_off", "", user=users["admin"])


@pytest_db
def test_due_dates_command_with_a_provider_uses_its_version_and_the_decreed_calendar(department, users):
    from io import StringIO

    from django.core.management import CommandError, call_command

    add_calendar_exception(date(2026, 11, 24), "day_off", "decree", user=users["admin"])
    publish_profile_version(department.provider, "national-2025", national(total={"amount": 4, "unit": "working_days"}),
                            note="order", user=users["admin"])

    def run(*extra):
        out = StringIO()
        call_command("due_dates", "--received", "2026-11-23T10:00", "--profile", "national-2025", *extra, stdout=out)
        return json.loads(out.getvalue())["result_due"]

    assert run() == "2026-11-26T18:30:00+05:00"  # the CONTRACT default: built-in profile, the package's calendar
    assert run("--provider", "almaty") == "2026-11-30T18:30:00+05:00"  # 4 working days, Tuesday off
    assert run("--provider", "aktobe") == "2026-11-27T18:30:00+05:00"  # built-in, Tuesday off
    with pytest.raises(CommandError, match="unknown provider"):
        run("--provider", "nowhere")
