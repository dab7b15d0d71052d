"""The department inbox and case page for clerk, head, executor, administrator and auditor."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from accounts.access import ability_required
from audit.services import record_staff_read
from queues.models import QueueList

from ..models import CaseState
from ..selectors import case_for_page, inbox_cases, inbox_counts

staff_only = ability_required("view_inbox")


@staff_only
def inbox(request):
    state = request.GET.get("state") or None
    if state not in CaseState.values:
        state = None
    try:
        list_id = int(request.GET.get("list") or 0) or None
    except ValueError:
        list_id = None
    if list_id is not None and not 0 < list_id < 2**63:
        list_id = None
    cases = inbox_cases(request.user, state=state, queue_list_id=list_id)
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    # one event per page view: which page of which filter was shown (names and masked IINs of its rows)
    record_staff_read(request, "inbox.viewed", ("provider", str(request.user.provider_id)),
                      page=page.number, state=state or "", list=list_id)
    return render(
        request,
        "applications/staff/inbox.html",
        {
            "page": page,
            "state": state,
            "list_id": list_id,
            "states": CaseState.choices,
            "counts": inbox_counts(request.user),
            "queue_lists": QueueList.objects.filter(provider_id=request.user.provider_id),
        },
    )


@staff_only
def case_detail(request, number):
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    record_staff_read(request, "person.viewed", case, iin=case.applicant.iin, via="case_page")
    from .workflow import staff_case_context

    return render(request, "applications/staff/case_detail.html", staff_case_context(request.user, case))
