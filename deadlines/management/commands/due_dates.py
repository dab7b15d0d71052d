"""``manage.py due_dates``: due dates of an application under a regulation profile (CONTRACT.md)."""

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from deadlines.due import compute_due_dates
from deadlines.profiles import UnknownProfile, get_profile


class Command(BaseCommand):
    help = (
        "Print as JSON when each workflow step and the whole service are due for an application "
        "received at --received under regulation profile --profile (Asia/Almaty time)."
    )
    requires_system_checks = []  # pure computation: no database, nothing to check

    def add_arguments(self, parser):
        parser.add_argument(
            "--received",
            required=True,
            help="when the application arrived, ISO 8601; without an offset it is Almaty local time",
        )
        parser.add_argument("--profile", required=True, help="regulation profile code, e.g. national-2025")
        parser.add_argument(
            "--provider",
            help="a department's code: use its current version of the profile and the calendar with the decreed "
            "exceptions from the database (what its new cases get); without it, the built-in profile and calendar",
        )
        parser.add_argument(
            "--emergency",
            action="store_true",
            help="the applicant's only dwelling is in emergency condition (longer review where the profile says so)",
        )

    def handle(self, *args, received, profile, emergency, provider=None, **options):
        try:
            received_at = datetime.fromisoformat(received)
        except ValueError:
            raise CommandError(
                f"--received {received!r} is not an ISO 8601 date-time "
                "(e.g. 2026-11-23T10:15, 2026-11-23T10:15:00+05:00, 2026-11-23T05:15:00Z)"
            ) from None
        try:
            regulation = get_profile(profile)
        except UnknownProfile as exc:
            raise CommandError(str(exc)) from None
        calendar = None
        if provider is not None:
            regulation, calendar = self._from_database(provider, profile)
        try:
            due = compute_due_dates(received_at, regulation, emergency=emergency, calendar=calendar)
        except OverflowError:
            raise CommandError(f"--received {received!r} is too close to the end of the calendar") from None
        self.stdout.write(json.dumps(due.as_json(), indent=2))

    def _from_database(self, provider_code, profile_code):
        from accounts.models import Provider
        from deadlines.services import calendar_for, current_profile_version

        department = Provider.objects.filter(code=provider_code).first()
        if department is None:
            known = ", ".join(Provider.objects.order_by("code").values_list("code", flat=True)) or "none"
            raise CommandError(f"unknown provider {provider_code!r}; known: {known}")
        return current_profile_version(department, profile_code).profile, calendar_for()
