"""``manage.py enforce_deadlines``: one pass of the deadline job (what Celery beat runs every 5 minutes)."""

from django.core.management.base import BaseCommand

from deadlines.enforcement import enforce_deadlines


class Command(BaseCommand):
    help = (
        "Record every case's step deadlines, alert the responsible staff before a limit and the head when it "
        "is missed, and record each breach. Safe to run twice or while the scheduled job runs."
    )

    def handle(self, *args, **options):
        report = enforce_deadlines()
        self.stdout.write(
            f"cases={report.cases} recorded={report.recorded} due_soon={report.due_soon} "
            f"overdue={report.overdue} breaches={report.breaches} alerts={report.alerts} "
            f"skipped_locked={report.skipped_locked}"
        )
