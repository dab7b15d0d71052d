"""Removal from the register and restoration to it (DOMAIN.md §7, Law art. 73) — two people decide.

One officer (manage_queue) proposes, with a ground or basis, a reason, the legal basis, a supporting document
and a date; another officer of the same provider (approve_queue_changes) approves or rejects. The rule is per
user id, so one person holding two roles is still one person; the database refuses `decided_by == proposed_by`
even if this module is bypassed, allows one open request per place, and a second click finds the request
already decided. Approving changes the case (a workflow transition on the case timeline), the place (one row
and one log event in queues.services.entries, whatever its position) and notifies through the outbox.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import has_ability
from applications.models import FamilyMember
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted, apply_transition, lock_case, log_case_event
from applications.uploads import CheckedUpload, check_upload
from audit.services import enqueue, record_event

from ..models import (
    EntryStatus, FindingStatus, QueueEntry, RemovalGround, RemovalRequest, RequestStatus, RestorationBasis,
    RestorationRequest,
)
from .entries import continue_entry, remove_entry, restore_entry

MAX_REASON_LENGTH = 5000
MAX_LEGAL_BASIS_LENGTH = 255  # the model field
MAX_COMMENT_LENGTH = 2000
_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class AlreadyDecided(ServiceError):
    message = gettext_lazy("This request has already been decided; nothing was changed.")


class OwnProposal(NotPermitted):
    message = gettext_lazy("You proposed this change; another officer must decide on it.")


# --- shared checks ---------------------------------------------------------------------------------------------

def _require(user, ability: str, queue_list) -> None:
    """The ability, for this provider's lists only."""
    if not has_ability(user, ability) or user.provider_id != queue_list.provider_id:
        raise NotPermitted(_("You are not allowed to do this with this queue place."))


def _clean_text(value, *, missing: str, limit: int, too_long: str) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise ServiceError(missing)
    if len(value) > limit:
        raise ServiceError(too_long % {"n": limit})
    return value


def _clean_common(reason, legal_basis, effective_date) -> tuple[str, str, date]:
    reason = _clean_text(reason, missing=_("Write the reason."), limit=MAX_REASON_LENGTH,
                         too_long=_("The reason is too long (at most %(n)d characters)."))
    legal_basis = _clean_text(legal_basis, missing=_("Give the legal basis (the article of the law, the court order)."),
                              limit=MAX_LEGAL_BASIS_LENGTH,
                              too_long=_("The legal basis is too long (at most %(n)d characters)."))
    if isinstance(effective_date, datetime):
        aware = timezone.is_aware(effective_date)
        effective_date = timezone.localtime(effective_date).date() if aware else effective_date.date()
    if not isinstance(effective_date, date):
        raise ServiceError(_("Give the date the ground arose."))
    if effective_date > timezone.localdate():
        raise ServiceError(_("The date cannot be in the future."))
    return reason, legal_basis, effective_date


def _checked_document(document) -> CheckedUpload:
    """The supporting document, checked by its content (PDF, JPEG or PNG, size limit, no active PDF content)."""
    if isinstance(document, CheckedUpload):
        return document
    if not document:
        raise ServiceError(_("Attach the supporting document (PDF, JPEG or PNG)."))
    try:
        return check_upload(document)
    except ValidationError as exc:
        raise ServiceError(exc.messages[0]) from None


def _attach(req, upload: CheckedUpload) -> None:
    req.document_sha256 = upload.sha256
    req.document.save(f"{upload.sha256}.{_EXTENSIONS[upload.content_type]}", ContentFile(upload.content), save=False)


def _save_new(req, busy: str) -> None:
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError:  # one open request per place (database constraint)
        req.document.delete(save=False)
        raise ServiceError(busy) from None


def _lock_request(model, request):
    req = (model.objects.select_for_update(of=("self",)).select_related("entry__queue_list", "entry__application")
           .filter(pk=getattr(request, "pk", request)).first())
    if req is None:
        raise ServiceError(_("This request does not exist."))
    return req


def _check_decider(req, approver) -> None:
    """The second person: may approve queue changes, same provider, not the proposer (per user, not per role)."""
    _require(approver, "approve_queue_changes", req.entry.queue_list)
    if req.status != RequestStatus.PROPOSED:
        raise AlreadyDecided()
    if req.proposed_by_id == approver.pk:
        raise OwnProposal()


def _decide(req, approver, status: str, comment: str) -> None:
    req.status = status
    req.decided_by = approver
    req.decided_at = timezone.now()
    req.decision_comment = comment
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])


def _clean_comment(comment, *, required: bool) -> str:
    comment = comment.strip() if isinstance(comment, str) else ""
    if required and not comment:
        raise ServiceError(_("Write why the request is rejected."))
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ServiceError(_("The comment is too long (at most %(n)d characters).") % {"n": MAX_COMMENT_LENGTH})
    return comment


# --- removal ---------------------------------------------------------------------------------------------------

def _family_member(entry: QueueEntry, successor) -> FamilyMember:
    try:
        member_id = int(getattr(successor, "pk", successor))
    except (TypeError, ValueError):
        member_id = None
    member = None
    if member_id is not None and 0 < member_id < 2**63:
        member = FamilyMember.objects.filter(pk=member_id, application_id=entry.application_id).first()
    if member is None:
        raise ServiceError(_("The successor must be a family member listed in this case."))
    return member


def resolve_successor(member: FamilyMember, *, create: bool):
    """The Person who continues: known locally, or found (alive) in the individuals database."""
    from applications.models import Person
    from applications.services.people import ContactDetails, lookup_person, upsert_person_from_record

    person = Person.objects.filter(iin=member.iin).first()
    if person is not None:
        return person
    try:
        record = lookup_person(member.iin)
    except ServiceError as exc:
        raise ServiceError(
            _("The family member cannot continue the case: %(reason)s") % {"reason": exc.user_message}) from None
    return upsert_person_from_record(record, ContactDetails(phone="")) if create else None


def _successor_contacts(successor, phone, email) -> tuple[str, str]:
    """The successor's phone and e-mail, normalised; only with a successor."""
    from django.core.validators import validate_email

    from applications.forms import clean_phone_value

    phone = phone.strip() if isinstance(phone, str) else ""
    email = email.strip() if isinstance(email, str) else ""
    if (phone or email) and not successor:
        raise ServiceError(_("Contacts are given only for a family member who continues the case."))
    try:
        phone = clean_phone_value(phone) if phone else ""
        if email:
            validate_email(email)
    except ValidationError as exc:
        raise ServiceError(exc.messages[0]) from None
    return phone, email


def propose_removal(entry: QueueEntry, actor, *, ground: str, reason: str, legal_basis: str, document, effective_date,
                    successor=None, finding=None, successor_phone: str = "", successor_email: str = "") -> RemovalRequest:
    """A removal (or, on death, a continuation by a family member) waiting for the second approver."""
    if ground not in RemovalGround.values:
        raise ServiceError(_("Choose a removal ground from the list."))
    reason, legal_basis, effective_date = _clean_common(reason, legal_basis, effective_date)
    successor_phone, successor_email = _successor_contacts(successor, successor_phone, successor_email)
    upload = _checked_document(document)
    with transaction.atomic():
        entry = QueueEntry.objects.select_related("queue_list", "application").get(pk=entry.pk)
        _require(actor, "manage_queue", entry.queue_list)
        if entry.status != EntryStatus.REGISTERED:
            raise ServiceError(_("Only a registered place can be removed from the register."))
        member = None
        if successor:
            if ground != RemovalGround.DEATH:
                raise ServiceError(_("A family member continues the case only after the death of the person."))
            member = _family_member(entry, successor)
            resolve_successor(member, create=False)
        if finding is not None and finding.entry_id != entry.pk:
            raise ServiceError(_("The inventory finding concerns another place."))
        req = RemovalRequest(entry=entry, ground=ground, reason=reason, legal_basis=legal_basis,
                             effective_date=effective_date, proposed_by=actor, successor=member, finding=finding,
                             successor_phone=successor_phone, successor_email=successor_email)
        _attach(req, upload)
        _save_new(req, _("A removal of this place is already waiting for a decision."))
        if finding is not None:
            finding.status = FindingStatus.REMOVAL_PROPOSED
            finding.save(update_fields=["status"])
        log_case_event(entry.application, actor=actor, action="queue_removal_proposed", comment=ground,
                       visible_to_applicant=False, data={"request": req.pk})
        record_event(actor=actor, action="queue.removal_proposed", obj=req,
                     data={"entry": entry.pk, "application": entry.application.number, "ground": ground,
                           "successor": member.pk if member else None, "sha256": req.document_sha256,
                           "finding": finding.pk if finding is not None else None})
    return req


def approve_removal(request: RemovalRequest, approver, comment: str = "") -> RemovalRequest:
    """The second person approves: the place is closed (or, on death with a successor, kept for them)."""
    comment = _clean_comment(comment, required=False)
    with transaction.atomic():
        req = _lock_request(RemovalRequest, request)
        _check_decider(req, approver)
        case = lock_case(req.entry.application)  # case, then the list's log head: the workflow's lock order
        entry = req.entry
        if req.ground == RemovalGround.DEATH and req.successor_id:
            person = resolve_successor(req.successor, create=True)
            contacts = {k: v for k, v in (("phone", req.successor_phone), ("email", req.successor_email)) if v}
            if contacts:  # the case's notices go to the successor from now on
                for field, value in contacts.items():
                    setattr(person, field, value)
                person.save(update_fields=[*contacts, "updated_at"])
            continue_entry(entry, person, request_id=req.pk)
            log_case_event(case, actor=approver, action="queue_continued", comment=req.successor.full_name,
                           data={"request": req.pk, "successor_iin": person.iin})
            topic = "queues.notify_continued"
        else:
            remove_entry(entry, ground=req.ground, legal_basis=req.legal_basis, request_id=req.pk)  # place first:
            apply_transition(case, "remove_from_register", actor=approver,  # the case follows a closed place only
                             comment=f"{RemovalGround(req.ground).label} — {req.legal_basis}")
            topic = "queues.notify_removed"
        _decide(req, approver, RequestStatus.APPROVED, comment)
        enqueue(topic, {"request_id": req.pk}, dedupe_key=f"queue-removal:{req.pk}")
        record_event(actor=approver, action="queue.removal_approved", obj=req,
                     data={"entry": entry.pk, "application": case.number, "ground": req.ground,
                           "continued": topic == "queues.notify_continued"})
    return req


def reject_removal(request: RemovalRequest, approver, comment: str) -> RemovalRequest:
    comment = _clean_comment(comment, required=True)
    with transaction.atomic():
        req = _lock_request(RemovalRequest, request)
        _check_decider(req, approver)
        _decide(req, approver, RequestStatus.REJECTED, comment)
        if req.finding_id:  # the finding goes back to review
            finding = req.finding
            finding.status = FindingStatus.ANSWERED if finding.answered_at else FindingStatus.OPEN
            finding.save(update_fields=["status"])
        log_case_event(req.entry.application, actor=approver, action="queue_removal_rejected", comment=comment,
                       visible_to_applicant=False, data={"request": req.pk})
        record_event(actor=approver, action="queue.removal_rejected", obj=req, data={"entry": req.entry_id})
    return req


# --- restoration -----------------------------------------------------------------------------------------------

def propose_restoration(entry: QueueEntry, actor, *, basis: str, reason: str, legal_basis: str, document,
                        effective_date) -> RestorationRequest:
    """Back at the old key: only by court order or a proven error of officials (DOMAIN.md §7)."""
    if basis not in RestorationBasis.values:
        raise ServiceError(_("Choose the basis of the restoration: a court order or a proven error of officials."))
    reason, legal_basis, effective_date = _clean_common(reason, legal_basis, effective_date)
    upload = _checked_document(document)
    with transaction.atomic():
        entry = QueueEntry.objects.select_related("queue_list", "application").get(pk=entry.pk)
        _require(actor, "manage_queue", entry.queue_list)
        if entry.active or entry.status not in (EntryStatus.REMOVED, EntryStatus.REFUSED):
            raise ServiceError(_("Only a removed place or a refused application can be restored."))
        req = RestorationRequest(entry=entry, basis=basis, reason=reason, legal_basis=legal_basis,
                                 effective_date=effective_date, proposed_by=actor)
        _attach(req, upload)
        _save_new(req, _("A restoration of this place is already waiting for a decision."))
        log_case_event(entry.application, actor=actor, action="queue_restoration_proposed", comment=basis,
                       visible_to_applicant=False, data={"request": req.pk})
        record_event(actor=actor, action="queue.restoration_proposed", obj=req,
                     data={"entry": entry.pk, "application": entry.application.number, "basis": basis,
                           "sha256": req.document_sha256})
    return req


def approve_restoration(request: RestorationRequest, approver, comment: str = "") -> RestorationRequest:
    """The place returns at its old key; everyone behind it is told why their number grew by one."""
    comment = _clean_comment(comment, required=False)
    with transaction.atomic():
        req = _lock_request(RestorationRequest, request)
        _check_decider(req, approver)
        case = lock_case(req.entry.application)
        event = restore_entry(req.entry, basis=req.basis, legal_basis=req.legal_basis, request_id=req.pk)
        try:
            with transaction.atomic():
                apply_transition(case, "restore_to_register", actor=approver,
                                 comment=f"{RestorationBasis(req.basis).label} — {req.legal_basis}")
        except IntegrityError:  # one active case per person per provider; the outer transaction undoes the place
            raise ServiceError(_("The person has another active application with this department; "
                                 "it must be closed before this one can be restored.")) from None
        _decide(req, approver, RequestStatus.APPROVED, comment)
        enqueue("queues.notify_restored", {"request_id": req.pk}, dedupe_key=f"queue-restoration:{req.pk}")
        enqueue("queues.notify_moved_back", {"request_id": req.pk, "after_entry_id": req.entry_id},
                dedupe_key=f"queue-moved-back:{req.pk}:{req.entry_id}")
        record_event(actor=approver, action="queue.restoration_approved", obj=req,
                     data={"entry": req.entry_id, "application": case.number, "basis": req.basis,
                           "event": event.hash})
    return req


def reject_restoration(request: RestorationRequest, approver, comment: str) -> RestorationRequest:
    comment = _clean_comment(comment, required=True)
    with transaction.atomic():
        req = _lock_request(RestorationRequest, request)
        _check_decider(req, approver)
        _decide(req, approver, RequestStatus.REJECTED, comment)
        log_case_event(req.entry.application, actor=approver, action="queue_restoration_rejected", comment=comment,
                       visible_to_applicant=False, data={"request": req.pk})
        record_event(actor=approver, action="queue.restoration_rejected", obj=req, data={"entry": req.entry_id})
    return req
