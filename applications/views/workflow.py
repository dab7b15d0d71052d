"""Case actions of staff, operators and applicants: each POST parses one form and calls one service."""

from dataclasses import dataclass
from typing import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import record_staff_read
from signatures.forms import SignDecisionForm
from signatures.services import decision_signing_from_post

from .. import forms_workflow as wf
from ..grounds_text import finding_text, ground_title
from ..models import CaseState
from ..selectors import case_actions, case_for_page, queue_position
from ..services import complaints, review
from ..services.eligibility import category_confirmation
from ..services.errors import ServiceError
from ..services.workflow import NotPermitted
from ..uploads import check_upload


@dataclass(frozen=True)
class Action:
    form: type
    run: Callable
    done: str


def _assign(request, case, data):
    return review.assign_executor(case, request.user, data["executor"], reason=data.get("reason", ""))


def _hearing(request, case, data):
    uploads = []
    if data.get("objection"):
        try:
            uploads.append(check_upload(data["objection"]))
        except ValidationError as exc:
            raise ServiceError(exc.messages[0]) from None
    return review.record_hearing(case, request.user, attended=data["attended"], position=data["position"], objections=uploads)


def _sign(request, case, data):
    """The head's EDS over the decision PDF (signatures/): checked, then the decision is signed with it."""
    signing = decision_signing_from_post(
        request.user, case, session_id=data["eds_session"], signature_value=data["eds_signature_value"],
        cms=data["eds_cms"], method=data["eds_method"],
    )
    return review.sign_decision(case, request.user, signing=signing)


COMPLAINTS_PAGE_SIZE = 50

ACTIONS = {
    "register": Action(wf.EmptyForm, lambda r, c, d: review.register_case(c, r.user), gettext_lazy("The case is registered and passed to the head.")),
    "assign": Action(wf.AssignForm, _assign, gettext_lazy("The executor is assigned.")),
    "reassign": Action(wf.AssignForm, _assign, gettext_lazy("The case is reassigned.")),
    "eligibility": Action(wf.EmptyForm, lambda r, c, d: review.run_eligibility(c, r.user), gettext_lazy("The eligibility check is done; its findings are below.")),
    "request_documents": Action(
        wf.DocumentListForm, lambda r, c, d: review.request_documents(c, r.user, list(d["document_types"]), d["comment"]),
        gettext_lazy("The applicant has been asked for the documents."),
    ),
    "receive_documents": Action(wf.EmptyForm, lambda r, c, d: review.receive_documents(c, r.user), gettext_lazy("The documents are received; the review continues.")),
    "return": Action(
        wf.DocumentListForm, lambda r, c, d: review.return_incomplete(c, r.user, list(d["document_types"]), d["comment"]),
        gettext_lazy("The case is returned as incomplete and the applicant notified."),
    ),
    "preliminary_refusal": Action(
        wf.PreliminaryRefusalForm,
        lambda r, c, d: review.send_preliminary_refusal(
            c, r.user, grounds=d["grounds"], reasoning=d["reasoning"], override_reason=d["override_reason"],
            hearing_at=d["hearing_at"], place=d["place"],
        ),
        gettext_lazy("The preliminary decision and the hearing notice are sent."),
    ),
    "record_hearing": Action(wf.HearingRecordForm, _hearing, gettext_lazy("The hearing is recorded.")),
    "draft": Action(
        wf.DraftDecisionForm,
        lambda r, c, d: review.draft_decision(c, r.user, kind=d["kind"], grounds=d["grounds"], reasoning=d["reasoning"], override_reason=d["override_reason"]),
        gettext_lazy("The draft decision is passed to the head for signature."),
    ),
    "send_back": Action(wf.CommentForm, lambda r, c, d: review.send_back(c, r.user, d["comment"]), gettext_lazy("The draft is sent back to the executor.")),
    "sign": Action(SignDecisionForm, _sign, gettext_lazy("The decision is signed.")),
    "dispatch": Action(wf.EmptyForm, lambda r, c, d: review.dispatch_decision(c, r.user), gettext_lazy("The result is sent to the applicant.")),
    "hand_out": Action(wf.EmptyForm, lambda r, c, d: review.hand_out(c, r.user), gettext_lazy("The hand-out is recorded.")),
}


def _form_kwargs(name, case):
    """Each action form gets its own id prefix: several are on one page."""
    kwargs = {"auto_id": f"{name}-%s"}
    if name in ("assign", "reassign"):
        kwargs["provider"] = case.provider
    return kwargs


def staff_case_context(user, case, bound=None):
    available = case_actions(user, case)
    forms = {}
    for name in ACTIONS:  # in workflow order
        if name in available:
            forms[name] = (bound or {}).get(name) or ACTIONS[name].form(**_form_kwargs(name, case))
    checks = list(case.eligibility_checks.all())
    latest = checks[0] if checks else None
    if latest is not None and "draft" in forms and not forms["draft"].is_bound:
        forms["draft"].initial = {"kind": "registration" if latest.eligible else "refusal", "grounds": latest.grounds}
    if latest is not None and "preliminary_refusal" in forms and not forms["preliminary_refusal"].is_bound:
        forms["preliminary_refusal"].initial = {"grounds": latest.grounds}
    findings = [
        {"code": f["code"], "title": ground_title(f["code"]), "text": finding_text(f), "facts": f.get("facts", {})}
        for f in (latest.findings if latest else [])
    ]
    return {
        "case": case,
        "forms": forms,
        "latest_check": latest,
        "findings": findings,
        "category_check": category_confirmation(case) if latest else None,
        "position": queue_position(case) if case.state == CaseState.QUEUED else None,
    }


@require_POST
def case_action(request, number, action):
    if not request.user.is_authenticated:
        raise Http404
    spec = ACTIONS.get(action)
    case = case_for_page(request.user, number)
    if spec is None or case is None:
        raise Http404
    form = spec.form(request.POST, request.FILES, **_form_kwargs(action, case))
    if form.is_valid():
        try:
            spec.run(request, case, form.cleaned_data)
        except NotPermitted:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, spec.done)
            return redirect(_case_url(request.user, case))
    else:
        messages.error(request, _("Please correct the marked fields; nothing has been saved."))
    case = case_for_page(request.user, number)
    return render(request, _case_template(request.user), staff_case_context(request.user, case, {action: form}), status=400)


def _case_url(user, case):
    from django.urls import reverse

    if user.role == "operator":
        return reverse("applications:operator_case", args=[case.number])
    return reverse("applications:staff_case", args=[case.number])


def _case_template(user):
    return "applications/operator/accepted.html" if user.role == "operator" else "applications/staff/case_detail.html"


# --- the applicant ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, number):
    case = _own_case(request, number)
    if "withdraw" not in case_actions(request.user, case):
        return _not_now(request, case)
    form = wf.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review.withdraw(case, request.user, form.cleaned_data["reason"])
        except ServiceError as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, _("Your application has been withdrawn."))
            return redirect("applications:case_status", number=case.number)
    return render(request, "applications/citizen/withdraw.html", {"case": case, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def complain(request, number):
    case = _own_case(request, number)
    if "complain" not in case_actions(request.user, case):
        return _not_now(request, case)
    form = wf.ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = complaints.file_complaint(case, request.user, subject=form.cleaned_data["subject"], text=form.cleaned_data["text"])
        except ServiceError as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, _("Your complaint %(number)s is registered. The answer is due by %(due)s.") % {
                "number": complaint.number, "due": _local(complaint.answer_due_at)})
            return redirect("applications:case_status", number=case.number)
    return render(request, "applications/citizen/complain.html", {"case": case, "form": form})


@require_POST
def upload_requested(request, number):
    from ..forms import UploadForm

    case = _own_case(request, number)
    open_request = case.document_requests.filter(fulfilled_at__isnull=True).first()
    types = open_request.document_types.all() if open_request else case.document_requests.none()
    form = UploadForm(request.POST, request.FILES, document_types=types)
    if form.is_valid():
        try:
            checked = check_upload(form.cleaned_data["file"])
            review.upload_requested_document(case, request.user, form.cleaned_data["document_type"], checked)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        except ServiceError as exc:
            messages.error(request, exc.user_message)
        else:
            messages.success(request, _("Document uploaded. The department will continue the review."))
    else:
        messages.error(request, _("Please choose the document and the file."))
    return redirect("applications:case_status", number=case.number)


def _local(moment):
    from django.utils import formats, timezone

    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _own_case(request, number):
    if not request.user.is_authenticated or request.user.role != "applicant":
        raise Http404
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    return case


def _not_now(request, case):
    messages.error(request, _("This action is not possible in the case's current state."))
    return redirect("applications:case_status", number=case.number)


# --- complaints for the department -------------------------------------------------------------------


@login_required
def complaint_answer(request, number):
    from accounts.access import has_ability

    from ..models import Complaint
    from ..selectors import complaints_for

    if not has_ability(request.user, "view_inbox"):  # the department's page, like complaint_list
        raise Http404
    complaint = complaints_for(request.user).filter(number=number).first()
    if complaint is None:
        raise Http404
    form = wf.ComplaintAnswerForm(request.POST if request.POST.get("action") != "assign" else None)
    assign_form = wf.ComplaintAssignForm(request.POST if request.POST.get("action") == "assign" else None, provider=complaint.application.provider)
    if request.method == "POST" and request.POST.get("action") == "assign":
        if assign_form.is_valid():
            try:
                complaints.assign_complaint(complaint, request.user, assign_form.cleaned_data["assignee"])
            except NotPermitted:
                raise PermissionDenied from None
            except ServiceError as exc:
                messages.error(request, exc.user_message)
            else:
                messages.success(request, _("The complaint is assigned."))
                return redirect("applications:complaint", number=complaint.number)
    elif request.method == "POST":
        if form.is_valid():
            try:
                complaints.answer_complaint(complaint, request.user, answer=form.cleaned_data["answer"],
                                            upheld=form.cleaned_data["upheld"], settled=form.cleaned_data["settled"])
            except NotPermitted:
                raise PermissionDenied from None
            except ServiceError as exc:
                messages.error(request, exc.user_message)
            else:
                messages.success(request, _("The answer is signed and sent to the applicant."))
                return redirect("applications:complaint", number=complaint.number)
    else:
        record_staff_read(request, "complaint.viewed", complaint, application=complaint.application_id)
    complaint = Complaint.objects.select_related("application__applicant", "answer_document").get(pk=complaint.pk)
    from accounts.access import may_act

    return render(request, "applications/staff/complaint.html", {
        "complaint": complaint, "form": form, "assign_form": assign_form,
        "may_answer": may_act(request.user, "answer_complaint", complaint.application),
    })


@login_required
def complaint_list(request):
    from accounts.access import has_ability

    from ..selectors import complaints_for

    if not has_ability(request.user, "view_inbox"):
        raise Http404
    page = Paginator(complaints_for(request.user), COMPLAINTS_PAGE_SIZE).get_page(request.GET.get("page"))
    # one event per page view: which page of the department's complaints (names, masked IINs) was shown
    record_staff_read(request, "complaints.viewed", ("provider", str(request.user.provider_id)),
                      page=page.number, shown=len(page.object_list))
    return render(request, "applications/staff/complaints.html", {"page": page})
