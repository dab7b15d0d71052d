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
    rows = visible_applications(user).values("state").annotate(n=Count("id"))
    return {row["state"]: row["n"] for row in rows}


def case_for_page(user, number: str) -> Application | None:
    """One case with everything its page shows; None when the user may not see it."""
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
        )
        .first()
    )


def cabinet_cases(user) -> QuerySet:
    return visible_applications(user).select_related("queue_list", "category", "settlement").order_by("-accepted_at")


def branch_recent_cases(user, limit: int = 20) -> QuerySet:
    return visible_applications(user).select_related("applicant").order_by("-accepted_at")[:limit]


def queue_position(application: Application) -> int | None:
    """Place in the case's list: every registered or still-pending case with an earlier key, plus one.

    A pending case holds its place (DOMAIN.md §7), so a number once notified can only shrink:
    later refusals, removals and housing of people ahead move it forward; nothing moves it back.
    """
    from django.db.models import Q

    if application.queue_list_id is None or application.state not in ACTIVE_STATES:
        return None
    ahead = Application.objects.filter(
        Q(accepted_at__lt=application.accepted_at)
        | Q(accepted_at=application.accepted_at, queue_seq__lt=application.queue_seq),
        queue_list_id=application.queue_list_id,
        state__in=ACTIVE_STATES,
    ).count()
    return ahead + 1
