"""The citizen's personal cabinet and the step-by-step online application."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import ability_required
from accounts.models import Settlement

from ..forms import ConsentsForm, ContactsForm, FamilyMemberForm, HousingForm, SubmitForm, UploadForm
from queues.models import Fund
from queues.selectors_register import citizen_place

from ..models import ApplicationDraft, CaseState, Category, DocumentType, FamilyRelation
from ..selectors import cabinet_cases, case_actions, case_for_page, queue_position
from ..services import drafts
from ..services.errors import DuplicateApplication, ServiceError
from ..services.intake import required_document_types
from ..services.people import PersonNotFound, lookup_person
from ..uploads import check_upload

citizen_only = ability_required("file_online")


@citizen_only
def cabinet(request):
    draft = ApplicationDraft.objects.filter(owner=request.user, submitted_application__isnull=True).first()
    return render(
        request,
        "applications/citizen/cabinet.html",
        {"cases": cabinet_cases(request.user), "draft": draft},
    )


@citizen_only
def case_status(request, number):
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    return render(
        request,
        "applications/citizen/case_status.html",
        {
            "case": case,
            "events": [e for e in case.events.all() if e.visible_to_applicant],
            "actions": case_actions(request.user, case),
            "position": queue_position(case) if case.state == CaseState.QUEUED else None,
            "place": citizen_place(case),  # number, how it moved, or why it was removed (queues/)
        },
    )


@citizen_only
def submitted(request, number):
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    return render(request, "applications/citizen/submitted.html", {"case": case})


def _step_url(step):
    return reverse("applications:apply_step", args=[step])


def _wizard_context(draft, step, **extra):
    return {
        "draft": draft,
        "step": step,
        "steps": drafts.STEPS,
        "step_number": drafts.STEPS.index(step) + 1,
        "done_steps": [s for s in drafts.STEPS if s in draft.data],
        **extra,
    }


def _registry_person(request):
    try:
        return lookup_person(request.user.iin), None
    except (PersonNotFound, ServiceError) as exc:
        return None, exc.user_message


@citizen_only
def apply_start(request):
    drafts.open_draft(request.user)
    return redirect(_step_url("housing"))


@citizen_only
@require_http_methods(["GET", "POST"])
def apply_step(request, step):
    if step not in drafts.STEPS:
        raise Http404
    draft = drafts.open_draft(request.user)
    handler = {
        "housing": _step_housing,
        "person": _step_person,
        "family": _step_family,
        "documents": _step_documents,
        "consents": _step_consents,
        "review": _step_review,
    }[step]
    return handler(request, draft)


def _next(step):
    return redirect(_step_url(drafts.STEPS[drafts.STEPS.index(step) + 1]))


def _step_housing(request, draft):
    initial = draft.data.get("housing", {})
    form = HousingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        drafts.save_step(
            draft,
            "housing",
            {
                "settlement": data["settlement"].pk,
                "fund": data["fund"],
                "category": data["category"].pk if data["category"] else None,
                "emergency_dwelling": data["emergency_dwelling"],
            },
        )
        return _next("housing")
    return render(
        request, "applications/citizen/_simple_step.html",
        _wizard_context(draft, "housing", form=form, heading=_("Where do you need housing, and under which category?")),
    )


def _step_person(request, draft):
    person, error = _registry_person(request)
    initial = draft.data.get("person") or {"phone": request.user.phone, "email": request.user.email}
    form = ContactsForm(request.POST or None, initial=initial)
    if request.method == "POST" and person is not None and form.is_valid():
        drafts.save_step(draft, "person", {"phone": form.cleaned_data["phone"], "email": form.cleaned_data["email"]})
        return _next("person")
    return render(
        request,
        "applications/citizen/step_person.html",
        _wizard_context(draft, "person", form=form, person=person, registry_error=error),
    )


def _step_family(request, draft):
    form = FamilyMemberForm(request.POST or None) if request.POST.get("action") == "add" else FamilyMemberForm()
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "remove":
            drafts.remove_family_member(draft, request.POST.get("iin", ""))
            return redirect(_step_url("family"))
        if action == "add":
            if form.is_valid():
                member = _family_member_from_form(request, form)
                if member is not None:
                    drafts.add_family_member(draft, member)
                    messages.success(request, _("Family member added."))
                    return redirect(_step_url("family"))
        else:
            drafts.save_step(draft, "family", draft.data.get("family", []))
            return _next("family")
    return render(
        request,
        "applications/citizen/step_family.html",
        _wizard_context(draft, "family", form=form, family=draft.data.get("family", []), relation_labels=dict(FamilyRelation.choices)),
    )


def _family_member_from_form(request, form):
    data = form.cleaned_data
    if data["iin"] == request.user.iin:
        form.add_error("iin", _("This is your own IIN; add your family members here."))
        return None
    try:
        record = lookup_person(data["iin"])
        full_name, birth = record.full_name, record.birth_date
    except PersonNotFound:
        if not (data.get("full_name") and data.get("birth_date")):
            form.add_error(
                "full_name", _("This IIN was not found in the state database; enter the full name and date of birth.")
            )
            return None
        full_name, birth = data["full_name"], data["birth_date"]
    except ServiceError as exc:
        form.add_error("iin", exc.user_message)
        return None
    return {
        "iin": data["iin"],
        "relation": data["relation"],
        "full_name": full_name,
        "birth_date": birth.isoformat() if isinstance(birth, date) else birth,
        "disabled": data["disabled"],
    }


def _category_of(draft):
    category_id = draft.data.get("housing", {}).get("category")
    return Category.objects.filter(pk=category_id).first() if category_id else None


def _step_documents(request, draft):
    required = required_document_types(_category_of(draft))
    form = UploadForm(document_types=DocumentType.objects.for_intake())
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "remove":
            attachment_id = request.POST.get("attachment") or ""
            if attachment_id.isdigit() and len(attachment_id) < 19:
                drafts.remove_scan(draft, int(attachment_id))
            return redirect(_step_url("documents"))
        if action == "upload":
            form = UploadForm(request.POST, request.FILES, document_types=DocumentType.objects.for_intake())
            if form.is_valid():
                try:
                    checked = check_upload(form.cleaned_data["file"])
                except ValidationError as exc:
                    form.add_error("file", exc)
                else:
                    drafts.attach_scan(draft, request.user, form.cleaned_data["document_type"], checked)
                    messages.success(request, _("Document uploaded."))
                    return redirect(_step_url("documents"))
        else:
            attached = set(draft.attachments.values_list("document_type__code", flat=True))
            missing = [dt for dt in required if dt.code not in attached]
            if not missing:
                drafts.save_step(draft, "documents", sorted(attached))
                return _next("documents")
            messages.error(
                request, _("Please upload: %(list)s.") % {"list": ", ".join(dt.name for dt in missing)}
            )
    attachments = list(draft.attachments.select_related("document_type"))
    attached_codes = {a.document_type.code for a in attachments}
    return render(
        request,
        "applications/citizen/step_documents.html",
        _wizard_context(
            draft, "documents", form=form, attachments=attachments,
            required=[(dt, dt.code in attached_codes) for dt in required],
        ),
    )


def _step_consents(request, draft):
    form = ConsentsForm(request.POST or None, initial=draft.data.get("consents", {}))
    if request.method == "POST" and form.is_valid():
        drafts.save_step(draft, "consents", {k: bool(v) for k, v in form.cleaned_data.items()})
        return _next("consents")
    return render(request, "applications/citizen/_simple_step.html", _wizard_context(draft, "consents", form=form, heading=_("Consents")))


def _step_review(request, draft):
    person, registry_error = _registry_person(request)
    housing = draft.data.get("housing", {})
    settlement = Settlement.objects.filter(pk=housing.get("settlement")).first()
    missing_steps = [s for s in drafts.STEPS[:-1] if s not in draft.data]
    form = SubmitForm(initial={"draft_version": draft.data.get("version", 0)})
    eds_payload = None if missing_steps else drafts.payload_to_sign(draft, request.user, get_language())
    return render(
        request,
        "applications/citizen/step_review.html",
        _wizard_context(
            draft, "review",
            form=form, person=person, registry_error=registry_error, settlement=settlement,
            category=_category_of(draft), attachments=draft.attachments.select_related("document_type"),
            missing_steps=missing_steps, fund_label=dict(Fund.choices).get(housing.get("fund"), ""),
            relation_labels=dict(FamilyRelation.choices), eds_payload=eds_payload,
        ),
    )


@citizen_only
@require_POST
def apply_submit(request, draft_id):
    draft = ApplicationDraft.objects.filter(pk=draft_id, owner=request.user).select_related("submitted_application").first()
    if draft is None:
        raise Http404
    if draft.submitted_application_id:  # the second click of a double click
        return redirect("applications:submitted", number=draft.submitted_application.number)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was damaged; please submit again."))
        return redirect(_step_url("review"))
    try:
        case = drafts.submit_draft(
            draft, request.user, get_language(), form.cleaned_data["draft_version"],
            cms=request.POST.get("eds_cms", ""), method=request.POST.get("eds_method", ""),
        )
    except DuplicateApplication as exc:
        messages.error(request, exc.user_message)
        return redirect("applications:case_status", number=exc.existing.number)
    except ServiceError as exc:
        messages.error(request, exc.user_message)
        return redirect(_step_url("review"))
    return redirect("applications:submitted", number=case.number)
