"""The department's work on a case after intake (DOMAIN.md §3): register, assign, review, hearing, decide, sign, dispatch.

Every function checks the actor's right through accounts.access, locks the case row, and keeps the
state change, the timeline, the audit log and the promised notifications in one transaction.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.services import enqueue
from deadlines.due import add_working_days, deadline_after
from deadlines.profiles import working_days
from deadlines.services import calendar_for, profile_for_case
from documents.models import DocumentKind
from documents.services import issue_document
from signatures.services import issue_decision_document

from ..models import (
    Application,
    CaseState,
    Decision,
    DecisionKind,
    DocumentRequest,
    DocumentType,
    EligibilityCheck,
    Hearing,
)
from .errors import ServiceError
from .workflow import apply_transition, lock_case, log_case_event, require_action

# How long the applicant has to bring missing documents, per profile; the service clock stops meanwhile.
DOCUMENT_REQUEST_LIMIT = {"national-2025": working_days(5), "regional-30d": working_days(10)}


def _notify(application, kind: str, extra: dict | None = None, key: str | None = None):
    enqueue(
        "notify.case_event",
        {"application_id": application.pk, "kind": kind, **(extra or {})},
        dedupe_key=key or f"{kind}:{application.pk}:{timezone.now().timestamp()}",
    )


def register_case(application, clerk):
    with transaction.atomic():
        case = lock_case(application)
        return apply_transition(case, "register", actor=clerk)


def _check_executor(case, executor):
    if not isinstance(executor, User) or executor.role != Role.EXECUTOR or executor.provider_id != case.provider_id or not executor.is_active:
        raise ServiceError(_("Choose an active executor of this department."))


def assign_executor(application, head, executor, *, reason: str = ""):
    """First assignment moves the case to review; a later one is a reassignment and needs a reason."""
    with transaction.atomic():
        case = lock_case(application)
        _check_executor(case, executor)
        if case.state == CaseState.REGISTERED:
            return apply_transition(case, "assign_executor", actor=head, executor=executor,
                                    comment=executor.display_name, visible_to_applicant=False)
        require_action(head, "reassign_executor", case)
        if not case.is_pending or case.state == CaseState.ACCEPTED:
            raise ServiceError(_("This action is not possible in the case's current state."))
        if not reason.strip():
            raise ServiceError(_("Give the reason for reassigning the case."))
        if case.assigned_executor_id == executor.pk:
            raise ServiceError(_("The case is already assigned to this executor."))
        previous = case.assigned_executor
        case.assigned_executor = executor
        case.save(update_fields=["assigned_executor", "updated_at"])
        log_case_event(case, actor=head, action="reassign_executor", visible_to_applicant=False,
                       comment=f"{previous.display_name if previous else '—'} → {executor.display_name}: {reason}",
                       data={"from": previous.pk if previous else None, "to": executor.pk, "reason": reason})
        return case


def run_eligibility(application, executor) -> EligibilityCheck:
    from eligibility.rules import evaluate
    from eligibility.case import parse_case

    from .eligibility import build_case

    require_action(executor, "run_eligibility", application)
    case_input = build_case(application)
    decision = evaluate(parse_case(case_input))
    with transaction.atomic():
        check = EligibilityCheck.objects.create(
            application=application,
            run_by=executor,
            case_input=case_input,
            eligible=decision.eligible,
            grounds=list(decision.grounds),
            findings=[{"code": str(f.code), "message_key": f.message_key, "facts": _plain(f.facts), "text": f.explanation}
                      for f in decision.findings],
            queue_group=decision.queue_list or "",
        )
        log_case_event(application, actor=executor, action="eligibility_checked", visible_to_applicant=False,
                       data={"check": check.pk, "grounds": check.grounds})
    return check


def _plain(facts: dict) -> dict:
    """Facts as JSON (dates become ISO strings), exactly as stored and shown."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(facts, cls=DjangoJSONEncoder))


def latest_check(application) -> EligibilityCheck | None:
    return application.eligibility_checks.order_by("-run_at", "-id").first()


def request_documents(application, executor, document_types, comment: str = "") -> DocumentRequest:
    if not document_types:
        raise ServiceError(_("Choose at least one document to request."))
    with transaction.atomic():
        case = lock_case(application)
        profile = profile_for_case(case)
        limit = DOCUMENT_REQUEST_LIMIT.get(profile.code, working_days(5))
        request = DocumentRequest.objects.create(
            application=case, comment=comment, requested_by=executor,
            respond_by=deadline_after(timezone.now(), limit, calendar_for(profile)),
        )
        request.document_types.set(document_types)
        apply_transition(case, "request_documents", actor=executor,
                         comment=", ".join(dt.name for dt in document_types) + (f". {comment}" if comment else ""))
        _notify(case, "documents_requested", {"request_id": request.pk}, key=f"docreq:{request.pk}")
        return request


def receive_documents(application, executor) -> Application:
    """The clock stood still while the applicant gathered documents: the result date moves by that long."""
    with transaction.atomic():
        case = lock_case(application)
        request = case.document_requests.filter(fulfilled_at__isnull=True).first()
        now = timezone.now()
        if request is not None:
            request.fulfilled_at = now
            request.save(update_fields=["fulfilled_at"])
            if case.result_due_at:
                case.result_due_at = case.result_due_at + (now - request.requested_at)
        apply_transition(case, "receive_documents", actor=executor)
        return case


def return_incomplete(application, executor, missing, comment: str = "") -> Application:
    if not missing:
        raise ServiceError(_("List the missing documents."))
    with transaction.atomic():
        case = lock_case(application)
        names = ", ".join(dt.name for dt in missing)
        apply_transition(case, "return_incomplete", actor=executor, comment=names + (f". {comment}" if comment else ""))
        _notify(case, "case_returned", {"missing": [dt.code for dt in missing], "comment": comment}, key=f"returned:{case.pk}")
        return case


def _validate_grounds(check, grounds, override_reason):
    from eligibility.grounds import GROUND_CODES

    unknown = [g for g in grounds if g not in GROUND_CODES]
    if unknown:
        raise ServiceError(_("Unknown refusal ground: %(code)s.") % {"code": ", ".join(unknown)})
    engine = set(check.grounds) if check else set()
    if set(grounds) != engine and not override_reason.strip():
        raise ServiceError(
            _("The chosen grounds differ from the eligibility check; explain why in the override reason.")
        )


def send_preliminary_refusal(application, executor, *, grounds, reasoning: str, override_reason: str = "",
                             hearing_at: datetime, place: str) -> Hearing:
    """Before refusing, invite the applicant to a hearing (APC art. 73; DOMAIN.md §3)."""
    if not grounds:
        raise ServiceError(_("Choose at least one refusal ground."))
    if not place.strip():
        raise ServiceError(_("Give the place of the hearing."))
    with transaction.atomic():
        case = lock_case(application)
        require_action(executor, "send_preliminary_refusal", case)
        check = latest_check(case)
        if check is None:
            raise ServiceError(_("Run the eligibility check first."))
        _validate_grounds(check, grounds, override_reason)
        now = timezone.now()
        profile = profile_for_case(case)
        calendar = calendar_for(profile)
        if hearing_at <= now or hearing_at > add_working_days(now, profile.hearing_within_after_notice.amount, calendar):
            raise ServiceError(_("The hearing must take place within %(n)d working days of the notice.")
                               % {"n": profile.hearing_within_after_notice.amount})
        # the notice must reach the applicant at least N working days before the service deadline;
        # when it cannot, the deadline moves so that it does (recorded on the timeline)
        latest_notice_due = add_working_days(now, profile.hearing_notice_before_due.amount, calendar)
        extended = False
        if case.result_due_at and case.result_due_at < latest_notice_due:
            case.result_due_at = latest_notice_due
            extended = True
        findings = [f for f in check.findings if f["code"] in grounds]
        document = issue_document(
            kind=DocumentKind.PRELIMINARY_DECISION, issued_by=executor, application=case,
            person_iin=case.applicant.iin, language=case.language,
            context=_decision_context(case, grounds, findings, reasoning,
                                      hearing_at=hearing_at.isoformat(), hearing_place=place),
        )
        hearing = Hearing.objects.create(
            application=case, preliminary_grounds=list(grounds), preliminary_findings=findings,
            notice_document=document, notice_sent_at=now, scheduled_at=hearing_at, place=place, created_by=executor,
        )
        apply_transition(case, "send_preliminary_refusal", actor=executor,
                         comment=_("Hearing on %(at)s, %(place)s") % {"at": timezone.localtime(hearing_at).strftime("%d.%m.%Y %H:%M"), "place": place})
        if extended:
            log_case_event(case, actor=executor, action="deadline_extended_for_hearing",
                           comment=timezone.localtime(case.result_due_at).strftime("%d.%m.%Y %H:%M"))
        _notify(case, "preliminary_refusal", {"document_id": document.pk, "hearing_id": hearing.pk}, key=f"prelim:{hearing.pk}")
        return hearing


def record_hearing(application, executor, *, attended: bool, position: str, objections=()) -> Hearing:
    from .drafts import store_scan

    with transaction.atomic():
        case = lock_case(application)
        require_action(executor, "record_hearing", case)
        if case.state != CaseState.HEARING:
            raise ServiceError(_("This action is not possible in the case's current state."))
        hearing = case.hearings.select_for_update().first()
        if hearing.recorded_at:
            raise ServiceError(_("The hearing has already been recorded."))
        if attended and not position.strip():
            raise ServiceError(_("Write down the applicant's position."))
        objection_type = DocumentType.objects.get(code="hearing_objection")
        for upload in objections:
            store_scan(upload, executor, application=case, document_type=objection_type)
        hearing.attended = attended
        hearing.applicant_position = position
        hearing.recorded_by = executor
        hearing.recorded_at = timezone.now()
        hearing.save()
        log_case_event(case, actor=executor, action="hearing_recorded",
                       comment=(_("attended") if attended else _("did not attend")) + (f": {position}" if position else ""))
        return hearing


def draft_decision(application, executor, *, kind: str, grounds=(), reasoning: str = "", override_reason: str = "") -> Decision:
    """A registration needs a clean check or a written override; a refusal needs the hearing first."""
    grounds = list(grounds)
    if kind not in DecisionKind.values:
        raise ServiceError(_("Unknown decision kind."))
    with transaction.atomic():
        case = lock_case(application)
        require_action(executor, "submit_draft_decision", case)
        check = latest_check(case)
        if check is None:
            raise ServiceError(_("Run the eligibility check first."))
        if kind == DecisionKind.REGISTRATION:
            if grounds:
                raise ServiceError(_("A notification of registration has no refusal grounds."))
            _validate_grounds(check, [], override_reason)
            if case.queue_list_id is None:
                raise ServiceError(_("The case has no queue list; the department's lists must be configured first."))
        else:
            if not grounds:
                raise ServiceError(_("Choose at least one refusal ground."))
            hearing = case.hearings.first()
            if case.state != CaseState.HEARING or hearing is None or hearing.recorded_at is None:
                raise ServiceError(_("A refusal goes out as a preliminary decision first; record the hearing before the final refusal."))
            _validate_grounds(check, grounds, override_reason)
            if not reasoning.strip():
                raise ServiceError(_("A refusal must be reasoned: write the reasoning."))
        decision = Decision.objects.create(
            application=case, kind=kind, grounds=grounds,
            findings=[f for f in check.findings if f["code"] in grounds], reasoning=reasoning,
            override_reason=override_reason, eligibility_check=check, drafted_by=executor,
        )
        if override_reason:
            log_case_event(case, actor=executor, action="eligibility_override", comment=override_reason,
                           visible_to_applicant=False, data={"engine": check.grounds, "chosen": grounds})
        apply_transition(case, "submit_draft_decision", actor=executor, comment=decision.get_kind_display())
        return decision


def open_decision(case) -> Decision | None:
    return case.decisions.filter(signed_at__isnull=True, returned_comment="").first()


def send_back(application, head, comment: str) -> Application:
    if not comment.strip():
        raise ServiceError(_("Tell the executor what to change."))
    with transaction.atomic():
        case = lock_case(application)
        decision = open_decision(case)
        apply_transition(case, "send_back_to_executor", actor=head, comment=comment, visible_to_applicant=False)
        decision.returned_comment = comment
        decision.save(update_fields=["returned_comment"])
        return case


def sign_decision(application, head, signing=None) -> Decision:
    """The head signs the draft; the document is issued with the queue number as of this moment.

    `signing` is what the head's device signed (signatures.services.decision_signing_from_post): the issued
    PDF is the one the head signed with EDS. Without it the decision is refused when KEZEK_REQUIRE_EDS is on.
    """
    with transaction.atomic():
        case = lock_case(application)
        decision = open_decision(case)
        if decision is None or case.state != CaseState.AWAITING_SIGNATURE:
            raise ServiceError(_("This action is not possible in the case's current state."))
        name = "sign_registration" if decision.kind == DecisionKind.REGISTRATION else "sign_refusal"
        apply_transition(case, name, actor=head, comment=decision.get_kind_display())
        now = timezone.now()
        context = _decision_context(case, decision.grounds, decision.findings, decision.reasoning)
        if decision.kind == DecisionKind.REGISTRATION:
            entry = case.queue_entry  # registered by the transition above: its number is the notified one
            decision.queue_number = entry.notified_number
            context.update(queue_number=decision.queue_number, place_event_hash=entry.place_event_hash, queue_list=case.queue_list.name_kk,
                           queue_list_names={"kk": case.queue_list.name_kk, "ru": case.queue_list.name_ru, "en": case.queue_list.name_en},
                           registered_at=case.accepted_at.isoformat())
        context["signed_by"] = head.display_name
        document = issue_decision_document(
            kind=DocumentKind.REGISTRATION_NOTIFICATION if decision.kind == DecisionKind.REGISTRATION else DocumentKind.REASONED_REFUSAL,
            issued_by=head, application=case, person_iin=case.applicant.iin, language=case.language, context=context,
            signing=signing,
        )
        decision.signed_by = head
        decision.signed_at = now
        decision.document = document
        decision.save()
        return decision


def _decision_context(case, grounds, findings, reasoning, **extra) -> dict:
    return {
        "application_number": case.number,
        "applicant_name": case.applicant.full_name,
        "accepted_at": case.accepted_at.isoformat(),
        "provider": {"kk": case.provider.name_kk, "ru": case.provider.name_ru, "en": case.provider.name_en},
        "grounds": list(grounds),
        "findings": findings,
        "reasoning": reasoning,
        **extra,
    }


def dispatch_decision(application, clerk) -> Decision:
    """Send the signed result to the cabinet, e-mail and SMS, and to the ЦОН for hand-out."""
    with transaction.atomic():
        case = lock_case(application)
        require_action(clerk, "dispatch", case)
        decision = case.decisions.filter(signed_at__isnull=False).order_by("-signed_at").first()
        if decision is None:
            raise ServiceError(_("There is no signed decision to dispatch."))
        if decision.dispatched_at:
            return decision  # a second click changes nothing
        decision.dispatched_at = timezone.now()
        decision.dispatched_by = clerk
        decision.save(update_fields=["dispatched_at", "dispatched_by"])
        log_case_event(case, actor=clerk, action="dispatched")
        _notify(case, "decision_dispatched", {"decision_id": decision.pk}, key=f"dispatched:{decision.pk}")
        return decision


def hand_out(application, operator) -> Decision:
    with transaction.atomic():
        case = lock_case(application)
        require_action(operator, "hand_out", case)
        decision = case.decisions.filter(dispatched_at__isnull=False).order_by("-signed_at").first()
        if decision is None:
            raise ServiceError(_("The result has not been sent to the service centre yet."))
        if decision.handed_out_at:
            return decision
        decision.handed_out_at = timezone.now()
        decision.handed_out_by = operator
        decision.save(update_fields=["handed_out_at", "handed_out_by"])
        log_case_event(case, actor=operator, action="handed_out")
        return decision


def withdraw(application, actor, reason: str = "") -> Application:
    with transaction.atomic():
        case = lock_case(application)
        apply_transition(case, "withdraw", actor=actor, comment=reason)
        _notify(case, "case_withdrawn", key=f"withdrawn:{case.pk}")
        return case


def upload_requested_document(application, applicant, document_type, upload):
    """The applicant answers a document request from the cabinet; the executor then marks it received."""
    from .drafts import store_scan

    with transaction.atomic():
        case = lock_case(application)
        require_action(applicant, "upload_requested_document", case)
        request = case.document_requests.filter(fulfilled_at__isnull=True).first()
        if case.state != CaseState.AWAITING_DOCUMENTS or request is None:
            raise ServiceError(_("The department is not waiting for documents on this case."))
        if not request.document_types.filter(pk=document_type.pk).exists():
            raise ServiceError(_("This document was not requested."))
        attachment = store_scan(upload, applicant, application=case, document_type=document_type)
        log_case_event(case, actor=applicant, action="document_uploaded", comment=document_type.name)
        return attachment
