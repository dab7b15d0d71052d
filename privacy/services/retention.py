"""Retention: erase the personal data of refused, withdrawn and returned cases once their period is over.

Kept: the case skeleton (number, provider, list, category, dates, state, the queue key), its timeline, the
signed decisions with their grounds and the issued documents (official acts), and the append-only audit and queue
logs, which refuse UPDATE and DELETE and are never touched here. Erased: uploaded scans (rows and stored files),
family members, the contacts and the personal part of the filed record, the copy of it under the applicant's
signature, the state-system answers of eligibility checks, the applicant's own free text (hearing position,
complaint text, withdrawal reason), message bodies and addresses, and — once the person has no other live
case — the contact and ID details of the person record. Each case gets an ErasedCase marker, so a second run
skips it; batches are separate transactions, files are deleted only after their batch committed.
"""

import logging
from dataclasses import asdict, dataclass
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Role
from applications.models import (
    Application,
    ApplicationDraft,
    Attachment,
    CaseEvent,
    CaseState,
    Complaint,
    EligibilityCheck,
    FamilyMember,
    Hearing,
    Person,
)
from audit.services import record_event
from notifications.models import Message
from queues.models import QueueEntry, RemovalRequest
from signatures.models import Signature, SignaturePurpose

from ..models import ErasedCase, RetentionRun
from ..selectors import retention_candidates

log = logging.getLogger(__name__)

# What stays of the filed record: where and under which category, the documents handed in, the consents.
FILED_KEPT = ("provider", "settlement", "fund", "category", "emergency_dwelling", "documents", "consents")


@dataclass
class RetentionReport:
    dry_run: bool
    refused: int = 0
    withdrawn: int = 0
    returned: int = 0
    cases: int = 0
    attachments: int = 0
    files: int = 0
    family_members: int = 0
    persons: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


class RetentionPeriods(NamedTuple):
    refused: int
    withdrawn: int
    returned: int


def retention_periods() -> RetentionPeriods:
    """The periods in days from settings; a period under one day is a configuration error."""
    periods = RetentionPeriods(settings.KEZEK_RETENTION_REFUSED_DAYS, settings.KEZEK_RETENTION_WITHDRAWN_DAYS,
                               settings.KEZEK_RETENTION_RETURNED_DAYS)
    for kind, value in periods._asdict().items():
        if not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(
                f"KEZEK_RETENTION_{kind.upper()}_DAYS must be a whole number of days, at least 1 (got {value!r}).")
    return periods


def apply_retention(*, now=None, dry_run: bool = False, batch_size: int | None = None) -> RetentionReport:
    """Erase what the periods allow as of `now`; with dry_run only count it. Idempotent and safe to run twice."""
    now = now or timezone.now()
    periods = retention_periods()
    batch_size = batch_size or settings.KEZEK_RETENTION_BATCH
    candidates = retention_candidates(now, refused_days=periods.refused, withdrawn_days=periods.withdrawn,
                                      returned_days=periods.returned)
    report = RetentionReport(dry_run=dry_run)
    if dry_run:
        by_state = dict(candidates.order_by().values_list("state").annotate(n=Count("pk", distinct=True)))
        ids = candidates.values("pk")
        report.refused, report.withdrawn = by_state.get(CaseState.REFUSED, 0), by_state.get(CaseState.WITHDRAWN, 0)
        report.returned = by_state.get(CaseState.RETURNED, 0)
        report.cases = report.refused + report.withdrawn + report.returned
        report.attachments = report.files = Attachment.objects.filter(application_id__in=ids).count()
        report.family_members = FamilyMember.objects.filter(application_id__in=ids).count()
        return report
    run = RetentionRun.objects.create(started_at=timezone.now(), as_of=now, refused_days=periods.refused,
                                      withdrawn_days=periods.withdrawn, returned_days=periods.returned)
    while True:
        done = _erase_batch(candidates, run, report, batch_size)
        if done < batch_size:
            break
    RetentionRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), cases=report.cases, attachments=report.attachments, files=report.files,
        family_members=report.family_members, persons=report.persons,
    )
    return report


def _erase_batch(candidates, run: RetentionRun, report: RetentionReport, batch_size: int) -> int:
    """One transaction: lock up to `batch_size` eligible cases (skipping any being changed now) and erase them.

    Returns how many rows it locked, so the caller knows whether a full batch was taken."""
    with transaction.atomic():
        cases = list(candidates.select_for_update(skip_locked=True, of=("self",))
                     .only("pk", "number", "state", "applicant_id", "filed_payload")[:batch_size])
        locked = len(cases)
        # a run that committed between this statement's snapshot and its lock may have erased some already
        already = set(ErasedCase.objects.filter(application__in=cases).values_list("application_id", flat=True))
        cases = [c for c in cases if c.pk not in already]
        if not cases:
            return locked
        ids = [c.pk for c in cases]
        attachments = list(Attachment.objects.filter(application_id__in=ids)
                           .values_list("pk", "application_id", "file", "document_type__code"))
        attachment_ids = [pk for pk, *_rest in attachments]
        names = {name for _pk, _a, name, _c in attachments if name}
        shared = set(Attachment.objects.filter(file__in=names).exclude(pk__in=attachment_ids)
                     .values_list("file", flat=True)) if names else set()
        files = sorted(names - shared)  # a stored file another row still points at stays
        Attachment.objects.filter(pk__in=attachment_ids).delete()
        successors = RemovalRequest.objects.filter(successor__isnull=False).values("successor_id")
        family = FamilyMember.objects.filter(application_id__in=ids).exclude(pk__in=successors)
        family_counts = dict(family.order_by().values_list("application_id").annotate(n=Count("pk")))
        family_removed = family.delete()[0]

        for case in cases:
            case.contact_phone, case.contact_email = "", ""
            case.filed_payload = {
                **{k: v for k, v in (case.filed_payload or {}).items() if k in FILED_KEPT},
                "personal_data_erased": True,
            }
        Application.objects.bulk_update(cases, ["contact_phone", "contact_email", "filed_payload"])
        Hearing.objects.filter(application_id__in=ids).update(applicant_position="")
        Complaint.objects.filter(application_id__in=ids).update(text="")
        EligibilityCheck.objects.filter(application_id__in=ids).update(case_input={}, findings=[])
        Signature.objects.filter(application_id__in=ids, purpose__in=[SignaturePurpose.APPLICATION,
                                                                    SignaturePurpose.INTAKE]).update(payload=b"")
        ApplicationDraft.objects.filter(submitted_application_id__in=ids).update(data={})
        Message.objects.filter(application_id__in=ids).update(body="", recipient="")
        CaseEvent.objects.filter(Q(actor__role=Role.APPLICANT) | Q(action="withdraw"), application_id__in=ids) \
            .exclude(comment="").update(comment="")
        persons = _erase_people({c.applicant_id for c in cases}, ids)

        erased_at = timezone.now()
        per_case_docs: dict[int, list[str]] = {}
        for _pk, application_id, _name, code in attachments:
            per_case_docs.setdefault(application_id, []).append(code)
        markers = []
        for case in cases:
            summary = {"attachments": len(per_case_docs.get(case.pk, [])),
                       "document_types": sorted(per_case_docs.get(case.pk, [])),
                       "family_members": family_counts.get(case.pk, 0)}
            markers.append(ErasedCase(application=case, run=run, erased_at=erased_at, state=case.state,
                                      final_at=case.final_at, summary=summary))
            record_event(actor=None, action="privacy.personal_data_erased", obj=case,
                         data={**summary, "state": case.state, "run": run.pk})
        ErasedCase.objects.bulk_create(markers)
        transaction.on_commit(lambda: _delete_files(files))

    report.cases += len(cases)
    report.refused += sum(1 for c in cases if c.state == CaseState.REFUSED)
    report.withdrawn += sum(1 for c in cases if c.state == CaseState.WITHDRAWN)
    report.returned += sum(1 for c in cases if c.state == CaseState.RETURNED)
    report.attachments += len(attachment_ids)
    report.files += len(files)
    report.family_members += family_removed
    report.persons += persons
    return locked


def _erase_people(person_ids: set[int], erased_now: list[int]) -> int:
    """Blank contact and ID details of people with no other case still kept whole, no place and no representation."""
    kept = Application.objects.exclude(pk__in=erased_now).filter(personal_data_erasure__isnull=True)
    busy = set(kept.filter(applicant_id__in=person_ids).values_list("applicant_id", flat=True))
    busy |= set(kept.filter(representative__person_id__in=person_ids)
                .values_list("representative__person_id", flat=True))
    busy |= set(QueueEntry.objects.filter(holder_id__in=person_ids, active=True).values_list("holder_id", flat=True))
    return Person.objects.filter(pk__in=person_ids - busy).update(
        id_document_number="", id_document_issued=None, address="", registered_here_since=None, phone="", email="",
    )


def _delete_files(names: list[str]) -> None:
    """After commit: a failure leaves an orphan file (logged), never a case pointing at a missing scan."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("retention: could not delete stored file %s", name, exc_info=True)
