"""Staff pages of the register: the provider's lists with numbers, one place, and the two-person requests.

Every page is the user's own provider's only; anything else answers 404. Views parse and render; the
removal services (queues.services.removals) check and decide.
"""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import ability_required, has_ability
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from audit.services import record_staff_read

from .forms_register import DecisionForm, FindApplicationForm, RemovalForm, RestorationForm
from .models import EntryStatus, QueueEntry, RequestStatus
from .selectors import position
from .selectors_register import (
    PAGE_SIZE, entry_events, entry_for, history_rows, list_for, list_page, open_requests, provider_lists,
    request_for, requests_of,
)
from .services import removals

staff_only = ability_required("view_queue_lists")


@staff_only
def lists(request):
    return render(request, "queues/register/lists.html", {"lists": provider_lists(request.user)})


@staff_only
def list_detail(request, list_code):
    queue_list = list_for(request.user, list_code)
    if queue_list is None:
        raise Http404
    find = FindApplicationForm(request.GET if "number" in request.GET else None)
    if find.is_bound and find.is_valid():
        number = find.cleaned_data["number"].strip()
        entry = QueueEntry.objects.filter(queue_list=queue_list, application__number=number).first()
        if entry is None:
            find.add_error("number", _("There is no place with this application number in this list."))
        elif not entry.active:
            messages.info(request, _("Application %(number)s is no longer in the queue: %(status)s.") % {
                "number": number, "status": entry.get_status_display()})
            return redirect("queues_register:entry", application_number=number)
        else:
            page_number = (position(entry) - 1) // PAGE_SIZE + 1
            url = reverse("queues_register:list", args=[queue_list.code])
            return redirect(f"{url}?page={page_number}#a-{quote(number)}")
    page = list_page(queue_list, request.GET.get("page"))
    record_staff_read(request, "queue.list_viewed", queue_list, page=page.number)
    return render(request, "queues/register/list.html", {"queue_list": queue_list, "page": page, "find": find})


def _entry_context(request, entry, *, removal_form=None, restoration_form=None) -> dict:
    user = request.user
    removal_requests, restoration_requests = requests_of(entry)
    can_manage = has_ability(user, "manage_queue")
    removal_open = any(r.status == RequestStatus.PROPOSED for r in removal_requests)
    restoration_open = any(r.status == RequestStatus.PROPOSED for r in restoration_requests)
    if removal_form is None and can_manage and entry.status == EntryStatus.REGISTERED and not removal_open:
        removal_form = RemovalForm(application=entry.application)
    if restoration_form is None and can_manage and entry.status in (EntryStatus.REMOVED, EntryStatus.REFUSED) \
            and not restoration_open:
        restoration_form = RestorationForm()
    notified, history = history_rows(entry) if entry.active else (entry.notified_number, [])
    return {
        "entry": entry,
        "case": entry.application,
        "number": position(entry),
        "notified": notified,
        "history": history,
        "events": entry_events(entry),
        "removal_requests": removal_requests,
        "restoration_requests": restoration_requests,
        "removal_form": removal_form,
        "restoration_form": restoration_form,
        "can_approve": has_ability(user, "approve_queue_changes"),
        "decision_form": DecisionForm(),
    }


def _own_entry(request, application_number):
    entry = entry_for(request.user, application_number)
    if entry is None:
        raise Http404
    return entry


@staff_only
def entry_detail(request, application_number):
    entry = _own_entry(request, application_number)
    record_staff_read(request, "queue.entry_viewed", entry.application, holder_iin=entry.holder.iin, via="queue_entry")
    return render(request, "queues/register/entry.html", _entry_context(request, entry))


def _service_or_errors(form, call) -> bool:
    """Run a service; its refusal becomes the form's error (a permission refusal is a 403)."""
    try:
        call()
    except NotPermitted:
        raise PermissionDenied from None
    except ServiceError as exc:
        form.add_error(None, exc.user_message)
        return False
    return True


@require_POST
@ability_required("manage_queue")
def propose_removal(request, application_number):
    entry = _own_entry(request, application_number)
    form = RemovalForm(request.POST, request.FILES, application=entry.application)
    if form.is_valid():
        data = form.cleaned_data
        done = _service_or_errors(form, lambda: removals.propose_removal(
            entry, request.user, ground=data["ground"], reason=data["reason"], legal_basis=data["legal_basis"],
            document=data["document"], effective_date=data["effective_date"], successor=data["successor"],
            successor_phone=data["successor_phone"], successor_email=data["successor_email"]))
        if done:
            messages.success(request, _("The removal is proposed; another officer must approve it."))
            return redirect("queues_register:entry", application_number=application_number)
    return render(request, "queues/register/entry.html", _entry_context(request, entry, removal_form=form))


@require_POST
@ability_required("manage_queue")
def propose_restoration(request, application_number):
    entry = _own_entry(request, application_number)
    form = RestorationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        done = _service_or_errors(form, lambda: removals.propose_restoration(
            entry, request.user, basis=data["basis"], reason=data["reason"], legal_basis=data["legal_basis"],
            document=data["document"], effective_date=data["effective_date"]))
        if done:
            messages.success(request, _("The restoration is proposed; another officer must approve it."))
            return redirect("queues_register:entry", application_number=application_number)
    return render(request, "queues/register/entry.html", _entry_context(request, entry, restoration_form=form))


@staff_only
def requests_list(request):
    removal_requests, restoration_requests = open_requests(request.user)
    return render(request, "queues/register/requests.html", {
        "removal_requests": removal_requests,
        "restoration_requests": restoration_requests,
        "can_approve": has_ability(request.user, "approve_queue_changes"),
        "decision_form": DecisionForm(),
    })


DECISIONS = {
    ("removal", "approve"): lambda req, user, comment: removals.approve_removal(req, user, comment),
    ("removal", "reject"): lambda req, user, comment: removals.reject_removal(req, user, comment),
    ("restoration", "approve"): lambda req, user, comment: removals.approve_restoration(req, user, comment),
    ("restoration", "reject"): lambda req, user, comment: removals.reject_restoration(req, user, comment),
}


@require_POST
@ability_required("approve_queue_changes")
def decide(request, kind, pk):
    req = request_for(request.user, kind, pk)
    if req is None:
        raise Http404
    if request.POST.get("back") == "entry":
        back = reverse("queues_register:entry", args=[req.entry.application.number])
    else:
        back = reverse("queues_register:requests")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, errors[0] if errors else _("The form was damaged; please try again."))
        return redirect(back)
    decision = form.cleaned_data["decision"]
    try:
        DECISIONS[(kind, decision)](req, request.user, form.cleaned_data["comment"])
    except ServiceError as exc:  # own proposal, already decided, the case changed meanwhile
        messages.error(request, exc.user_message)
    else:
        messages.success(request, _("Approved: the change is made and the person is notified.") if decision == "approve"
                         else _("Rejected: nothing in the queue changed."))
    return redirect(back)


_CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def request_document(request, kind, pk):
    """The supporting document, to the provider's queue staff only (404 to everyone else, as for scans)."""
    if not has_ability(request.user, "view_queue_lists"):
        raise Http404
    req = request_for(request.user, kind, pk)
    if req is None or not req.document:
        raise Http404
    record_staff_read(request, "queue.request_document_viewed", req)
    extension = req.document.name.rsplit(".", 1)[-1].lower()
    content_type = _CONTENT_TYPES.get(extension, "application/octet-stream")
    response = FileResponse(req.document.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{kind}-{req.pk}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
