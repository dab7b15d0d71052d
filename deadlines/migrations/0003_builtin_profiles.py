"""The two built-in regulation profiles as version 1 (frozen here: later changes are new versions).

tests/deadlines/test_deadline_models.py checks these equal deadlines.profiles.BUILTIN_PROFILES.
"""

from django.db import migrations

_HOURS = {"start": "09:00", "end": "18:30", "lunch_start": "13:00", "lunch_end": "14:30"}
_COMMON = {
    "hearing_notice_before_due": {"amount": 3, "unit": "working_days"},
    "hearing_within_after_notice": {"amount": 2, "unit": "working_days"},
    "complaint_review_by_provider": {"amount": 5, "unit": "working_days"},
    "complaint_review_by_authority": {"amount": 15, "unit": "working_days"},
    "complaint_settle_by_provider": {"amount": 3, "unit": "working_days"},
}

BUILTIN_DEFINITIONS = {
    "regional-30d": {
        "title": "Regional akimat regulations: 30 calendar days",
        "steps": {
            "intake": {"amount": 15, "unit": "minutes"},
            "registration": {"amount": 15, "unit": "minutes"},
            "assignment": {"amount": 1, "unit": "calendar_days"},
            "review": {"amount": 25, "unit": "calendar_days"},
            "signature": {"amount": 1, "unit": "calendar_days"},
            "dispatch": {"amount": 1, "unit": "calendar_days"},
            "handout": {"amount": 1, "unit": "calendar_days"},
        },
        "total": {"amount": 30, "unit": "calendar_days"},
        "emergency_steps": {},
        "emergency_total": None,
        "after_hours_next_working_day": False,
        "working_hours": _HOURS,
        **_COMMON,
    },
    "national-2025": {
        "title": "National rules of 2025 (order No. 130): working days",
        "steps": {
            "registration": {"amount": 0, "unit": "working_days"},
            "review": {"amount": 1, "unit": "working_days"},
            "signature": {"amount": 1, "unit": "working_days"},
            "dispatch": {"amount": 1, "unit": "working_days"},
        },
        "total": {"amount": 3, "unit": "working_days"},
        "emergency_steps": {
            "review": {"amount": 3, "unit": "working_days"},
            "signature": {"amount": 0, "unit": "working_days"},
            "dispatch": {"amount": 0, "unit": "working_days"},
        },
        "emergency_total": {"amount": 3, "unit": "working_days"},
        "after_hours_next_working_day": True,
        "working_hours": _HOURS,
        **_COMMON,
    },
}


def seed(apps, schema_editor):
    Version = apps.get_model("deadlines", "RegulationProfileVersion")
    for code, definition in BUILTIN_DEFINITIONS.items():
        if not Version.objects.filter(provider__isnull=True, code=code).exists():
            Version.objects.create(provider=None, code=code, version=1, definition=definition, note="built-in")


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0002_profile_versions_immutable")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
