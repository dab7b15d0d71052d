"""Helpers for the register tests (removals, restorations, staff pages): registered places without the workflow."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Application, CaseState, FamilyMember, Person
from queues.models import QueueEntry
from queues.services import entries
from tests.queue_places import new_place, synthetic_iin

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def pdf(name="court-order.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def set_state(case, state) -> Application:
    """Put a case in a state directly (the FSM field is protected against attribute writes, not updates)."""
    Application.objects.filter(pk=case.pk).update(state=state, language="en")  # messages in English for the asserts
    return Application.objects.get(pk=case.pk)


def registered_place(queue_list, submitted_by, **kwargs) -> QueueEntry:
    """A case registered in the queue (QUEUED) with its place registered and notified."""
    entry = new_place(queue_list, submitted_by, **kwargs)
    case = set_state(entry.application, CaseState.QUEUED)
    entries.register_entry(case)
    return QueueEntry.objects.select_related("application", "queue_list", "holder").get(pk=entry.pk)


def pending_place(queue_list, submitted_by, state=CaseState.IN_REVIEW, **kwargs) -> QueueEntry:
    entry = new_place(queue_list, submitted_by, **kwargs)
    set_state(entry.application, state)
    return QueueEntry.objects.select_related("application", "queue_list", "holder").get(pk=entry.pk)


def family_member(case, n: int, *, local_person=True, surname="Әбенова", given_name="Гүлнар", iin=None) -> FamilyMember:
    """A spouse on the case; with `local_person` the Person row exists already (no registry call)."""
    iin = iin or synthetic_iin(700000 + n)
    birth = date(1980, 1, 1) + timedelta(days=(700000 + n) % 9000)
    if local_person:
        Person.objects.get_or_create(iin=iin, defaults={"surname": surname, "given_name": given_name,
                                                        "birth_date": birth, "sex": "M"})
    return FamilyMember.objects.create(application=case, relation="spouse", iin=iin,
                                       full_name=f"{surname} {given_name}", birth_date=birth)


def fresh(entry) -> QueueEntry:
    return QueueEntry.objects.select_related("application", "holder", "queue_list").get(pk=entry.pk)
