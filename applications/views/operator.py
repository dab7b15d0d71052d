"""The ЦОН operator's workstation: find a person, enter a paper application, print the receipt."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import ability_required
from accounts.models import Settlement
from audit.services import record_staff_read
from signatures.errors import SignatureMissing
from signatures.services import accept_with_signature
from documents.models import DocumentKind, IssuedDocument

from ..forms import FamilyFormSet, IinLookupForm, OperatorApplicationForm
from ..models import Channel, DocumentType
from ..selectors import branch_recent_cases, case_for_page, handout_list
from ..services.errors import DuplicateApplication, IncompletePackage, ServiceError
from ..services.intake import FamilyMemberData, IntakeRequest, RepresentativeData, refuse_to_accept
from ..services.people import ContactDetails, PersonNotFound, lookup_person

operator_only = ability_required("enter_paper_application")


def _branch_settlements(user):
    return Settlement.objects.filter(provider__service_centres=user.service_centre).select_related("provider")


@operator_only
def home(request):
    form = IinLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect(f"{request.path}new/?iin={form.cleaned_data['iin']}")
    refusals = IssuedDocument.objects.filter(
        kind=DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT, service_centre=request.user.service_centre
    ).order_by("-issued_at")[:10]
    record_staff_read(request, "operator.home_viewed", ("service_centre", str(request.user.service_centre_id)))
    return render(
        request,
        "applications/operator/home.html",
        {"form": form, "cases": branch_recent_cases(request.user), "refusals": refusals, "handouts": handout_list(request.user)},
    )


@operator_only
@require_http_methods(["GET", "POST"])
def new_application(request):
    lookup = IinLookupForm({"iin": request.GET.get("iin", "")})
    if not lookup.is_valid():
        messages.error(request, lookup.errors["iin"][0])
        return redirect("applications:operator_home")
    iin = lookup.cleaned_data["iin"]
    try:
        person = lookup_person(iin)
    except (PersonNotFound, ServiceError) as exc:
        messages.error(request, exc.user_message)
        return redirect("applications:operator_home")
    settlements = _branch_settlements(request.user)
    form = OperatorApplicationForm(request.POST or None, settlements=settlements, initial={"fund": "communal"},
                                   settlements_key=("service_centre", request.user.service_centre_id))
    family = FamilyFormSet(request.POST or None, prefix="family", initial=_family_initial(person))
    eds_payload = None
    if request.method == "POST":
        if form.is_valid() and family.is_valid():
            try:
                return _file(request, person, form.cleaned_data, family)
            except SignatureMissing as exc:  # complete and valid: the operator now signs exactly this
                eds_payload = exc.details.get("payload")
                messages.info(request, _("Check the application below and sign it with your EDS key to accept it."))
            except DuplicateApplication as exc:
                messages.error(
                    request, _("This person already has an active application: %(number)s.") % {"number": exc.existing.number}
                )
            except ServiceError as exc:
                messages.error(request, exc.user_message)
                eds_payload = exc.details.get("payload")  # a refused signature: sign again
        else:
            messages.error(request, _("Please correct the marked fields; nothing has been saved."))
    required = _required_map()
    # logged when the page shows the person's data; an accepted application is logged as such (application.accepted)
    record_staff_read(request, "person.viewed", ("person", iin), via="operator_lookup")
    return render(
        request,
        "applications/operator/new_application.html",
        {"person": person, "form": form, "family": family, "required_map": required, "eds_payload": eds_payload},
    )


def _family_initial(person):
    rows = []
    for link in person.family:
        try:
            relative = lookup_person(link.iin)
        except ServiceError:
            continue
        rows.append({"iin": link.iin, "relation": link.relation, "full_name": relative.full_name, "birth_date": relative.birth_date})
    return rows


def _required_map():
    """Which documents each category needs, for the checklist hint."""
    from ..models import Category

    common = list(DocumentType.objects.filter(required_for_all=True).values_list("code", flat=True))
    return {
        "common": common,
        "by_category": {c.pk: [d.code for d in c.required_documents.all()] for c in Category.objects.prefetch_related("required_documents")},
    }


def _file(request, person, data, family_formset):
    representative = None
    if data.get("representative_iin"):
        representative = RepresentativeData(
            record=lookup_person(data["representative_iin"]),
            power_of_attorney_number=data.get("power_of_attorney_number", ""),
            power_of_attorney_date=data.get("power_of_attorney_date"),
            power_of_attorney_valid_until=data.get("power_of_attorney_valid_until"),
            is_legal_representative=data.get("is_legal_representative", False),
        )
    family = []
    for row in family_formset.cleaned_data:
        if not row or not row.get("iin"):
            continue
        try:
            relative = lookup_person(row["iin"])
            full_name, birth = relative.full_name, relative.birth_date
        except PersonNotFound:
            if not (row.get("full_name") and row.get("birth_date")):
                raise ServiceError(
                    _("Family member %(iin)s was not found in the state database; enter the full name and date of birth.")
                    % {"iin": row["iin"]}
                ) from None
            full_name, birth = row["full_name"], row["birth_date"]
        family.append(FamilyMemberData(iin=row["iin"], relation=row["relation"], full_name=full_name, birth_date=birth, disabled=row.get("disabled", False)))
    settlement = data["settlement"]
    received = {dt.code for dt in data["documents_received"]}
    intake = IntakeRequest(
        provider=settlement.provider,
        settlement=settlement,
        fund=data["fund"],
        category=data["category"],
        emergency_dwelling=data["emergency_dwelling"],
        applicant=person,
        contacts=ContactDetails(phone=data["phone"], email=data.get("email", "")),
        consents={k for k in ("property_check", "personal_data", "publication") if data.get(k)},
        channel=Channel.SERVICE_CENTRE,
        submitted_by=request.user,
        service_centre=request.user.service_centre,
        language=get_language(),
        family=family,
        representative=representative,
        documents_received=received,
        received_at=timezone.now(),
    )
    try:
        case = accept_with_signature(intake, request.POST.get("eds_cms", ""), method=request.POST.get("eds_method", ""))
    except IncompletePackage:
        receipt = refuse_to_accept(
            operator=request.user, applicant=person, category=data["category"], documents_received=received, language=get_language()
        )
        messages.warning(request, _("The package is incomplete: a refusal-to-accept receipt was issued and no case was created."))
        return redirect("applications:operator_refusal", number=receipt.number)
    messages.success(request, _("Application accepted. Print the receipt for the applicant."))
    return redirect("applications:operator_case", number=case.number)


@operator_only
def accepted(request, number):
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    record_staff_read(request, "person.viewed", case, iin=case.applicant.iin, via="operator_case")
    from .workflow import staff_case_context

    return render(request, "applications/operator/accepted.html", staff_case_context(request.user, case))


@operator_only
def refusal(request, number):
    receipt = IssuedDocument.objects.filter(
        Q(number=number), kind=DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT, service_centre=request.user.service_centre
    ).first()
    if receipt is None:
        raise Http404
    record_staff_read(request, "document.viewed", receipt, iin=receipt.person_iin, via="operator_refusal")
    missing = DocumentType.objects.filter(code__in=receipt.context.get("missing", []))
    return render(request, "applications/operator/refusal.html", {"receipt": receipt, "missing": missing})
