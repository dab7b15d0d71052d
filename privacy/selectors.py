"""Reads for personal data: everything held about one citizen (the export), and the cases retention may erase.

The export reads a fixed number of queries whatever the number of cases (one per kind of record, prefetched),
plus the number and history of each *active* place — at most one per department by the one-active-case rule.
"""

import mimetypes
from dataclasses import dataclass, field

from django.db.models import DateTimeField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.access import visible_applications
from allocation.models import Offer, Skip
from applications.models import (
    Application,
    ApplicationDraft,
    Attachment,
    CaseEvent,
    CaseState,
    ComplaintState,
    Decision,
    Person,
    Representative,
)
from audit.models import AuditEvent
from documents.models import IssuedDocument
from notifications.models import Message
from queues.models import QueueEvent, RemovalRequest, RestorationRequest
from queues.selectors import position, position_history

EXPORT_FORMAT = "kezek-personal-data/1"


@dataclass(frozen=True)
class ExportFile:
    """A stored file that goes into the archive under `arcname`."""

    arcname: str
    storage_name: str
    sha256: str = ""


@dataclass
class PersonalData:
    data: dict
    files: list[ExportFile] = field(default_factory=list)
    person: Person | None = None


def _label(choices_value, choices) -> str:
    return str(dict(choices).get(choices_value, choices_value))


def _ext(content_type: str) -> str:
    return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        content_type, mimetypes.guess_extension(content_type or "") or ""
    )


def _applications(user) -> list[Application]:
    """The citizen's cases (access.visible_applications: own ones and places continued) with everything prefetched."""
    return list(
        visible_applications(user)
        .select_related(
            "provider", "settlement", "category", "queue_list", "representative__person", "queue_entry__queue_list",
        )
        .prefetch_related(
            "family_members",
            "consents",
            Prefetch("attachments", queryset=Attachment.objects.select_related("document_type")),
            # the timeline as the cabinet shows it; internal staff notes stay internal
            Prefetch("events", queryset=CaseEvent.objects.filter(visible_to_applicant=True).select_related("actor")),
            "eligibility_checks",
            # signed decisions only: an unsigned draft is the department's working paper, not a decision yet
            Prefetch("decisions", queryset=Decision.objects.filter(signed_at__isnull=False).select_related("document")),
            "document_requests__document_types",
            "hearings",
            "complaints",
            Prefetch("issued_documents", queryset=IssuedDocument.objects.order_by("issued_at", "pk")),
            "signatures",
            Prefetch("queue_entry__events", queryset=QueueEvent.objects.order_by("seq")),
            "queue_entry__inventory_findings",
            # offers that were actually sent to the person (a proposal not yet sent is the department's draft)
            Prefetch("queue_entry__offers", queryset=Offer.objects.filter(offered_at__isnull=False)
                     .select_related("dwelling__settlement", "round", "decision").order_by("offered_at", "pk")),
            Prefetch("queue_entry__skips", queryset=Skip.objects.filter(approved_at__isnull=False)
                     .select_related("dwelling").order_by("approved_at", "pk")),
        )
        .order_by("accepted_at", "queue_seq")
    )


def personal_data(user, *, now=None) -> PersonalData:
    """Everything Kezek holds about this citizen, as plain JSON-ready data plus the files to include.

    Only ever the user's own data: the cases come from access.visible_applications, everything else is keyed
    by the user, their person record, their IIN or those cases.
    """
    now = now or timezone.now()
    person = Person.objects.filter(iin=user.iin).first() if user.iin else None
    cases = _applications(user)
    entry_ids = [c.queue_entry.pk for c in cases if _entry(c) is not None]
    removals, restorations = {}, {}
    if entry_ids:
        removals = _by_entry(RemovalRequest.objects.filter(entry_id__in=entry_ids).order_by("proposed_at", "pk"))
        restorations = _by_entry(
            RestorationRequest.objects.filter(entry_id__in=entry_ids).order_by("proposed_at", "pk"))
    loose_documents = (list(IssuedDocument.objects.filter(person_iin=user.iin, application__isnull=True)
                            .order_by("issued_at", "pk")) if user.iin else [])
    drafts = list(ApplicationDraft.objects.filter(owner=user).select_related("submitted_application").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.select_related("document_type"))).order_by("created_at"))
    representations = (list(Representative.objects.filter(person=person).prefetch_related("applications"))
                       if person else [])
    messages = list(Message.objects.filter(person_iin=user.iin).order_by("sent_at", "pk")) if user.iin else []

    files: list[ExportFile] = []
    seen_attachments: set[int] = set()
    data = {
        "format": EXPORT_FORMAT,
        "generated_at": now,
        "account": _account(user),
        "person": _person(person) if person else None,
        "applications": [
            _case(case, user, removals, restorations, files, seen_attachments) for case in cases
        ],
        "issued_documents_without_case": [_issued(doc, files) for doc in loose_documents],
        "drafts": [_draft(draft, files, seen_attachments) for draft in drafts],
        "representations": [_representation(rep) for rep in representations],
        "notifications": [_message(m) for m in messages],
    }
    data["audit_events"] = _audit_events(user, person, cases, loose_documents, removals, restorations)
    return PersonalData(data=data, files=files, person=person)


def _entry(case):
    try:
        return case.queue_entry
    except Application.queue_entry.RelatedObjectDoesNotExist:
        return None


def _by_entry(queryset) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for item in queryset:
        grouped.setdefault(item.entry_id, []).append(item)
    return grouped


def _account(user) -> dict:
    return {
        "username": user.username, "iin": user.iin, "surname": user.last_name, "given_name": user.first_name,
        "patronymic": user.patronymic, "email": user.email, "phone": user.phone,
        "preferred_language": user.preferred_language, "date_joined": user.date_joined, "last_login": user.last_login,
    }


def _person(person: Person) -> dict:
    return {
        "iin": person.iin, "surname": person.surname, "given_name": person.given_name, "patronymic": person.patronymic,
        "birth_date": person.birth_date, "sex": person.sex, "id_document_number": person.id_document_number,
        "id_document_issued": person.id_document_issued, "address": person.address,
        "registered_here_since": person.registered_here_since, "phone": person.phone, "email": person.email,
        "updated_at": person.updated_at,
    }


def _attachment(item: Attachment, folder: str, files: list, seen: set) -> dict:
    arcname = ""
    if item.file and item.file.name and item.pk not in seen:
        arcname = f"attachments/{folder}/{item.pk}-{item.document_type.code}{_ext(item.content_type)}"
        files.append(ExportFile(arcname, item.file.name, item.sha256))
    seen.add(item.pk)
    return {
        "id": item.pk, "document_type": item.document_type.code, "document_type_name": item.document_type.name,
        "original_name": item.original_name, "content_type": item.content_type, "size": item.size,
        "sha256": item.sha256, "uploaded_at": item.uploaded_at, "file": arcname,
    }


def _issued(doc: IssuedDocument, files: list) -> dict:
    arcname = ""
    if doc.file and doc.file.name:
        arcname = f"documents/{doc.number}.pdf"
        files.append(ExportFile(arcname, doc.file.name, doc.sha256))
    return {
        "number": doc.number, "kind": doc.kind, "kind_name": doc.get_kind_display(), "issued_at": doc.issued_at,
        "language": doc.language, "verification_code": doc.verification_code, "sha256": doc.sha256,
        "shows": doc.context, "file": arcname,
    }


def _case(case: Application, user, removals: dict, restorations: dict, files: list, seen: set) -> dict:
    rep = case.representative
    return {
        "number": case.number,
        "provider": case.provider.code,
        "provider_name": case.provider.name,
        "settlement": case.settlement.name,
        "fund": case.fund,
        "category": case.category.code if case.category else None,
        "category_name": case.category.name if case.category else None,
        "channel": case.channel,
        "state": case.state,
        "state_name": _label(case.state, CaseState.choices),
        "accepted_at": case.accepted_at,
        "result_due_at": case.result_due_at,
        "emergency_dwelling": case.emergency_dwelling,
        "language": case.language,
        "contact_phone": case.contact_phone,
        "contact_email": case.contact_email,
        "filed": case.filed_payload,
        "representative": {
            "full_name": rep.person.full_name,
            "power_of_attorney_number": rep.power_of_attorney_number,
            "power_of_attorney_date": rep.power_of_attorney_date,
            "power_of_attorney_valid_until": rep.power_of_attorney_valid_until,
            "legal_representative": rep.is_legal_representative,
        } if rep else None,
        "family_members": [
            {"relation": m.relation, "iin": m.iin, "full_name": m.full_name, "birth_date": m.birth_date,
             "id_document_number": m.id_document_number, "disabled": m.disabled}
            for m in case.family_members.all()
        ],
        "consents": [{"kind": c.kind, "text": c.get_kind_display(), "given_at": c.given_at}
                     for c in case.consents.all()],
        "attachments": [_attachment(a, case.number, files, seen) for a in case.attachments.all()],
        "timeline": [
            {"at": e.at, "action": e.action, "from_state": e.from_state, "to_state": e.to_state, "comment": e.comment,
             "by": _by(e.actor, user)}
            for e in case.events.all()
        ],
        "eligibility_checks": [
            {"run_at": c.run_at, "eligible": c.eligible, "grounds": c.grounds, "findings": c.findings,
             "queue_group": c.queue_group, "case_as_checked": c.case_input}
            for c in case.eligibility_checks.all()
        ],
        "decisions": [
            {"kind": d.kind, "grounds": d.grounds, "findings": d.findings, "reasoning": d.reasoning,
             "signed_at": d.signed_at, "queue_number": d.queue_number, "dispatched_at": d.dispatched_at,
             "document": d.document.number if d.document else None}
            for d in case.decisions.all()
        ],
        "document_requests": [
            {"requested_at": r.requested_at, "respond_by": r.respond_by, "fulfilled_at": r.fulfilled_at,
             "comment": r.comment, "document_types": [t.code for t in r.document_types.all()]}
            for r in case.document_requests.all()
        ],
        "hearings": [
            {"notice_sent_at": h.notice_sent_at, "scheduled_at": h.scheduled_at, "place": h.place,
             "preliminary_grounds": h.preliminary_grounds, "attended": h.attended,
             "your_position": h.applicant_position, "recorded_at": h.recorded_at}
            for h in case.hearings.all()
        ],
        "complaints": [
            {"number": c.number, "subject": c.subject, "text": c.text, "filed_at": c.filed_at, "state": c.state,
             "answer": c.answer, "upheld": c.upheld, "answered_at": c.answered_at}
            for c in case.complaints.all()
        ],
        "issued_documents": [_issued(doc, files) for doc in case.issued_documents.all()],
        "signatures": [_signature(s, user) for s in case.signatures.all()],
        "queue_place": _place(_entry(case), removals, restorations),
    }


def _place(entry, removals: dict, restorations: dict) -> dict | None:
    if entry is None:
        return None
    number = position(entry) if entry.active else None
    notified, history = position_history(entry) if entry.active else (entry.notified_number, [])
    return {
        "list": entry.queue_list.code,
        "list_name": entry.queue_list.name,
        "status": entry.status,
        "key": {"accepted_at": entry.accepted_at, "sequence": entry.queue_seq},
        "registered_on": entry.registered_on,
        "initials_as_published": entry.initials,
        "number_now": number,
        "notified_number": notified,
        "notified_at": entry.notified_at,
        "closed_at": entry.closed_at,
        "place_event_hash": entry.place_event_hash,
        "log_events": [
            {"seq": e.seq, "kind": e.kind, "occurred_at": e.occurred_at, "data": e.data, "hash": e.hash}
            for e in entry.events.all()
        ],
        "number_history": [
            {"month": step.month, "places_ahead_that_moved": step.counts, "number_after": step.number_after}
            for step in history
        ],
        "removal_requests": [
            {"ground": r.ground, "reason": r.reason, "legal_basis": r.legal_basis, "date": r.effective_date,
             "status": r.status, "proposed_at": r.proposed_at, "decided_at": r.decided_at}
            for r in removals.get(entry.pk, [])
        ],
        "restoration_requests": [
            {"basis": r.basis, "reason": r.reason, "legal_basis": r.legal_basis, "date": r.effective_date,
             "status": r.status, "proposed_at": r.proposed_at, "decided_at": r.decided_at}
            for r in restorations.get(entry.pk, [])
        ],
        "inventory_findings": [
            {"kind": f.kind, "facts": f.facts, "status": f.status, "your_answer": f.answer,
             "answered_at": f.answered_at, "created_at": f.created_at}
            for f in entry.inventory_findings.all()
        ],
        "housing_offers": [
            {"status": o.status, "offered_at": o.offered_at, "respond_by": o.respond_by, "responded_at": o.responded_at,
             "responded_via": o.responded_via, "decline_reason": o.decline_reason, "number_at_offer": o.number_at_offer,
             "family_size": o.family_size, "round": o.round.name,
             "dwelling": {"settlement": o.dwelling.settlement.name, "address": o.dwelling.address,
                          "rooms": o.dwelling.rooms, "useful_area": o.dwelling.useful_area, "floor": o.dwelling.floor},
             "decision_signed_at": _offer_decision(o)}
            for o in entry.offers.all()
        ],
        "skips": [
            {"reason": s.reason, "comment": s.comment, "number_at_skip": s.number_at_skip,
             "dwelling": s.dwelling.address, "approved_at": s.approved_at}
            for s in entry.skips.all()
        ],
    }


def _signature(signature, user) -> dict:
    """The citizen's own certificate in full; an official's signature by purpose only (officials by role)."""
    own = signature.signer_id == user.pk
    return {
        "purpose": signature.purpose, "signed_at": signature.signed_at, "content_sha256": signature.content_sha256,
        "certificate_subject": signature.certificate_subject if own else None,
        "certificate_issuer": signature.certificate_issuer if own else None,
        "certificate_serial": signature.certificate_serial if own else None,
    }


# what would name an official in an audit event's data (their signing certificate); the role says who acted
OFFICIAL_IDENTITY_KEYS = frozenset({"subject", "issuer", "certificate_serial", "certificate_sha256"})


def _by(actor, user) -> str:
    """Who did it, as the citizen may know it: themself, or the role of the official (never a staff name)."""
    if actor is None:
        return "system"
    return "you" if actor.pk == user.pk else actor.role


def _offer_decision(offer):
    try:
        return offer.decision.signed_at
    except Offer.decision.RelatedObjectDoesNotExist:
        return None


def _draft(draft: ApplicationDraft, files: list, seen: set) -> dict:
    """What was typed in the online form; a submitted draft's scans are listed (and included) with its case."""
    return {
        "created_at": draft.created_at, "updated_at": draft.updated_at,
        "submitted_as": draft.submitted_application.number if draft.submitted_application_id else None,
        "data": draft.data,
        "attachments": [_attachment(a, "draft", files, seen) for a in draft.attachments.all()],
    }


def _representation(rep: Representative) -> dict:
    """Where the person acted for someone else: the power of attorney only, never the principal's data."""
    return {
        "power_of_attorney_number": rep.power_of_attorney_number,
        "power_of_attorney_date": rep.power_of_attorney_date,
        "power_of_attorney_valid_until": rep.power_of_attorney_valid_until,
        "legal_representative": rep.is_legal_representative,
        "applications": [a.number for a in rep.applications.all()],
    }


def _message(m: Message) -> dict:
    return {
        "sent_at": m.sent_at, "channel": m.channel, "kind": m.kind, "recipient": m.recipient, "subject": m.subject,
        "body": m.body, "read_at": m.read_at,
    }


def _audit_events(user, person, cases, loose_documents, removals, restorations) -> list[dict]:
    """Audit events by the user, and about their person, cases and everything hanging off those cases."""
    ids: dict[str, set[str]] = {
        "accounts.user": {str(user.pk)},
        "applications.application": set(),
        "applications.attachment": set(),
        "applications.complaint": set(),
        "applications.decision": set(),
        "documents.issueddocument": {str(d.pk) for d in loose_documents},
        "queues.queueentry": set(),
        "queues.removalrequest": {str(r.pk) for rs in removals.values() for r in rs},
        "queues.restorationrequest": {str(r.pk) for rs in restorations.values() for r in rs},
        "queues.inventoryfinding": set(),
        "allocation.offer": set(),
        "allocation.skip": set(),
        "signatures.signature": set(),
    }
    if person is not None:
        ids["applications.person"] = {str(person.pk)}
    if user.iin:
        ids["person"] = {user.iin}  # staff looking a person up by IIN (audit.services.record_staff_read)
    for case in cases:
        ids["applications.application"].add(str(case.pk))
        ids["applications.attachment"].update(str(a.pk) for a in case.attachments.all())
        ids["applications.complaint"].update(str(c.pk) for c in case.complaints.all())
        ids["applications.decision"].update(str(d.pk) for d in case.decisions.all())
        ids["documents.issueddocument"].update(str(d.pk) for d in case.issued_documents.all())
        ids["signatures.signature"].update(str(s.pk) for s in case.signatures.all())
        entry = _entry(case)
        if entry is not None:
            ids["queues.queueentry"].add(str(entry.pk))
            ids["queues.inventoryfinding"].update(str(f.pk) for f in entry.inventory_findings.all())
            ids["allocation.offer"].update(str(o.pk) for o in entry.offers.all())
            ids["allocation.skip"].update(str(s.pk) for s in entry.skips.all())
    condition = Q(actor=user)
    for object_type, object_ids in ids.items():
        if object_ids:
            condition |= Q(object_type=object_type, object_id__in=sorted(object_ids))
    rows = []
    for e in AuditEvent.objects.filter(condition).order_by("at", "pk"):
        own = e.actor_id == user.pk
        data = e.data if own or not isinstance(e.data, dict) else {
            k: v for k, v in e.data.items() if k not in OFFICIAL_IDENTITY_KEYS}
        rows.append({
            "at": e.at, "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
            "by": "you" if own else (e.actor_role or "system"), "data": data,
            # the address is shown for the citizen's own actions only, never a staff member's
            "ip_address": e.ip_address if own else None,
        })
    return rows


# --- retention ---------------------------------------------------------------------------------------------------

RETENTION_STATES = (CaseState.REFUSED, CaseState.WITHDRAWN, CaseState.RETURNED)


def retention_candidates(now, *, refused_days: int, withdrawn_days: int, returned_days: int) -> QuerySet:
    """Refused, withdrawn and returned cases whose final date is older than their period, not erased yet, no open
    complaint.

    The final date is the timeline entry that put the case in its present state (the case's last save if an
    old case has none); any other state — active, registered, housed, removed — is never selected.
    """
    from datetime import timedelta

    final_event = (CaseEvent.objects.filter(application=OuterRef("pk"), to_state=OuterRef("state"))
                   .order_by("-at").values("at")[:1])
    return (
        Application.objects.filter(state__in=[s.value for s in RETENTION_STATES], personal_data_erasure__isnull=True)
        .annotate(final_at=Coalesce(Subquery(final_event, output_field=DateTimeField()), F("updated_at")))
        .filter(Q(state=CaseState.REFUSED, final_at__lt=now - timedelta(days=refused_days))
                | Q(state=CaseState.WITHDRAWN, final_at__lt=now - timedelta(days=withdrawn_days))
                | Q(state=CaseState.RETURNED, final_at__lt=now - timedelta(days=returned_days)))
        .exclude(complaints__state__in=[ComplaintState.REGISTERED, ComplaintState.ASSIGNED])
        .order_by("pk")
    )
