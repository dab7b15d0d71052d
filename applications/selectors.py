"""Reads for pages: exactly what each page shows, in a fixed number of queries."""

from django.db.models import Count, Prefetch, QuerySet

from accounts.access import visible_applications

from .models import ACTIVE_STATES, Application, Attachment, CaseEvent, CaseState


def inbox_cases(user, *, state: str | None = None, queue_list_id: int | None = None, open_only: bool = True) -> QuerySet:
    cases = visible_applications(user).select_related(
        "applicant", "queue_list", "category", "assigned_executor", "settlement"
    )
    if state:
        cases = cases.filter(state=state)
    elif open_only:
        cases = cases.filter(state__in=[s.value for s in ACTIVE_STATES if s != CaseState.QUEUED])
    if queue_list_id:
        cases = cases.filter(queue_list_id=queue_list_id)
    return cases.order_by("accepted_at", "queue_seq")


def inbox_counts(user) -> dict[str, int]:
    # COUNT(*), not COUNT(id): PostgreSQL answers it from the (provider, state, …) index alone
    rows = visible_applications(user).values("state").annotate(n=Count("*"))
    return {row["state"]: row["n"] for row in rows}


def cabinet_cases(user) -> QuerySet:
    # the table shows four of the case's own columns: the rest (the filed record's JSON above all) stays unread
    return visible_applications(user).only("number", "accepted_at", "state", "result_due_at").order_by("-accepted_at")


def branch_recent_cases(user, limit: int = 20) -> QuerySet:
    return visible_applications(user).select_related("applicant").order_by("-accepted_at")[:limit]


def queue_position(application: Application) -> int | None:
    """Place in the case's list (queues.selectors.position); None once the case has left the queue."""
    from queues.selectors import entry_for_application, position

    if application.state not in ACTIVE_STATES:
        return None
    entry = entry_for_application(application)
    return position(entry) if entry is not None else None


def case_actions(user, case: Application) -> set[str]:
    """Which action forms the case page offers this user now (the services check again on submit)."""
    from accounts.access import can_view_application, role_allows

    from .models import CaseState as S

    state = case.state
    decisions = list(case.decisions.all())
    hearing = next(iter(case.hearings.all()), None)
    has_check = bool(list(case.eligibility_checks.all()))
    signed = next((d for d in decisions if d.signed_at), None)
    rules = {
        "register": state == S.ACCEPTED,
        "assign": state == S.REGISTERED,
        "reassign": state in (S.IN_REVIEW, S.AWAITING_DOCUMENTS, S.HEARING, S.AWAITING_SIGNATURE),
        "eligibility": state in (S.IN_REVIEW, S.HEARING),
        "request_documents": state == S.IN_REVIEW,
        "receive_documents": state == S.AWAITING_DOCUMENTS,
        "return": state in (S.IN_REVIEW, S.AWAITING_DOCUMENTS),
        "preliminary_refusal": state == S.IN_REVIEW and has_check,
        "record_hearing": state == S.HEARING and hearing is not None and hearing.recorded_at is None,
        "draft": has_check and (state == S.IN_REVIEW or (state == S.HEARING and hearing is not None and hearing.recorded_at is not None)),
        "send_back": state == S.AWAITING_SIGNATURE,
        "sign": state == S.AWAITING_SIGNATURE,
        "dispatch": signed is not None and signed.dispatched_at is None,
        "hand_out": signed is not None and signed.dispatched_at is not None and signed.handed_out_at is None
        and case.channel == "service_centre",
        "withdraw": case.is_pending,
        "complain": True,
    }
    permission = {
        "register": "register", "assign": "assign_executor", "reassign": "reassign_executor",
        "eligibility": "run_eligibility", "request_documents": "request_documents",
        "receive_documents": "receive_documents", "return": "return_incomplete",
        "preliminary_refusal": "send_preliminary_refusal", "record_hearing": "record_hearing",
        "draft": "submit_draft_decision", "send_back": "send_back_to_executor", "sign": "sign_registration",
        "dispatch": "dispatch", "hand_out": "hand_out", "withdraw": "withdraw", "complain": "file_complaint",
    }
    if not can_view_application(user, case):  # one visibility query for the whole panel, not one per action
        return set()
    return {name for name, ok in rules.items() if ok and role_allows(user, permission[name])}


def case_for_page(user, number: str) -> Application | None:
    """One case with everything its pages show; None when the user may not see it."""
    from .models import Complaint, Decision, DocumentRequest, EligibilityCheck, Hearing

    return (
        visible_applications(user)
        .filter(number=number)
        .select_related(
            "applicant", "representative__person", "queue_list", "category", "settlement", "provider",
            "service_centre", "assigned_executor", "submitted_by",
        )
        .prefetch_related(
            "family_members",
            "consents",
            Prefetch("attachments", queryset=Attachment.objects.select_related("document_type")),
            Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
            "issued_documents",
            Prefetch("eligibility_checks", queryset=EligibilityCheck.objects.select_related("run_by")),
            Prefetch("decisions", queryset=Decision.objects.select_related("drafted_by", "signed_by", "document")),
            Prefetch("hearings", queryset=Hearing.objects.select_related("notice_document", "recorded_by")),
            Prefetch("document_requests", queryset=DocumentRequest.objects.prefetch_related("document_types")),
            Prefetch("complaints", queryset=Complaint.objects.select_related("answer_document")),
        )
        .first()
    )


def complaints_for(user) -> QuerySet:
    from .models import Complaint

    return (
        Complaint.objects.filter(application__in=visible_applications(user))
        .select_related("application__applicant", "assigned_to", "answer_document")
        .order_by("state", "answer_due_at", "pk")  # pk: a stable order across pages
    )


def handout_list(user) -> QuerySet:
    """Signed, dispatched ЦОН results of this branch not yet handed to the applicant."""
    from .models import Decision

    return (
        Decision.objects.filter(
            application__in=visible_applications(user), dispatched_at__isnull=False, handed_out_at__isnull=True,
            application__channel="service_centre",
        )
        .select_related("application__applicant", "document")
        .order_by("dispatched_at")
    )
