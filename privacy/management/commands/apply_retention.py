"""``manage.py apply_retention [--dry-run]``: one pass of the daily retention job (README "Personal data")."""

from django.core.management.base import BaseCommand

from privacy.services.retention import apply_retention, retention_periods


class Command(BaseCommand):
    help = (
        "Erase the personal data of refused, withdrawn and returned cases older than KEZEK_RETENTION_REFUSED_DAYS / "
        "KEZEK_RETENTION_WITHDRAWN_DAYS / KEZEK_RETENTION_RETURNED_DAYS (scans, contacts, family details), keeping "
        "the case skeleton and the logs. Idempotent; --dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be erased, change nothing")

    def handle(self, *args, dry_run=False, **options):
        periods = retention_periods()
        report = apply_retention(dry_run=dry_run)
        prefix = "dry run: would erase" if dry_run else "erased"
        self.stdout.write(
            f"{prefix} cases={report.cases} (refused={report.refused} withdrawn={report.withdrawn} "
            f"returned={report.returned}) attachments={report.attachments} files={report.files} "
            f"family_members={report.family_members} persons={report.persons} [periods: refused {periods.refused} "
            f"days, withdrawn {periods.withdrawn} days, returned {periods.returned} days]"
        )
