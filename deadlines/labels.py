"""Translated names of steps and of who is responsible for them."""

from django.utils.translation import gettext_lazy as _

STEP_LABELS = {
    "intake": _("Intake at the service centre"),
    "registration": _("Registration of the case"),
    "assignment": _("Assignment of an executor"),
    "review": _("Review"),
    "signature": _("Signature"),
    "dispatch": _("Sending the result"),
    "handout": _("Hand-out at the service centre"),
    "result": _("Whole service (result)"),
}

RESPONSIBLE_LABELS = {
    "clerk": _("Clerks"),
    "head": _("Head of department"),
    "executor": _("Executor"),
    "operator": _("Service centre operators"),
}

STATUS_LABELS = {
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "on_track": _("On track"),
    "paused": _("Waiting for the applicant"),
    "done": _("Done"),
}


def step_label(code: str) -> str:
    return str(STEP_LABELS.get(code, code))
