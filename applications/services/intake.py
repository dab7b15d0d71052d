"""Accepting a complete application from either channel, or refusing an incomplete package.

A case is born accepted: its queue key (acceptance moment + sequence) is fixed here and never again.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Provider, ServiceCentre, Settlement
from audit.services import batched_writes, enqueue, record_event
from core.reference import remember
from core.sequences import DOCUMENT_NUMBER, QUEUE_KEY, next_values
from deadlines.due import compute_due_dates
from deadlines.services import calendar_for, current_profile_version
from documents.models import DocumentKind
from documents.services import document_number, issue_document
from eligibility.adapters import PersonRecord, get_notary_registry
from queues.models import CategoryGroup, QueueList
from queues.services.entries import open_entry

from ..models import (
    ACTIVE_STATES,
    Application,
    ApplicationDraft,
    Attachment,
    CaseEvent,
    CaseState,
    Category,
    Channel,
    Consent,
    ConsentKind,
    DocumentType,
    FamilyMember,
    Representative,
)
from .errors import DuplicateApplication, IncompletePackage, MissingConsent, ServiceError
from .people import ContactDetails, check_birth_date, upsert_person, upsert_person_from_record


@dataclass
class FamilyMemberData:
    iin: str
    relation: str
    full_name: str
    birth_date: date
    id_document_number: str = ""
    disabled: bool = False


@dataclass
class RepresentativeData:
    record: PersonRecord
    power_of_attorney_number: str = ""
    power_of_attorney_date: date | None = None
    power_of_attorney_valid_until: date | None = None
    is_legal_representative: bool = False


@dataclass
class IntakeRequest:
    """Everything either channel collects, already parsed by a form."""

    provider: Provider
    settlement: Settlement
    fund: str
    category: Category | None
    applicant: PersonRecord
    contacts: ContactDetails
    consents: set[str]
    channel: str
    submitted_by: object
    language: str = "kk"
    family: list[FamilyMemberData] = field(default_factory=list)
    representative: RepresentativeData | None = None
    service_centre: ServiceCentre | None = None
    documents_received: set[str] = field(default_factory=set)  # document type codes ticked at the ЦОН
    attachments: list[Attachment] = field(default_factory=list)  # already stored scans (from a draft)
    draft: ApplicationDraft | None = None
    emergency_dwelling: bool = False
    received_at: object = None


def required_document_types(category: Category | None) -> list[DocumentType]:
    """Shared cached rows (core.reference): read them, never change the list."""

    def load() -> list[DocumentType]:
        wanted = Q(required_for_all=True) | (Q(pk__in=category.required_documents.values("pk")) if category else Q())
        return sorted(DocumentType.objects.filter(wanted), key=lambda dt: (dt.ordering, dt.code))

    return remember(("required_documents", category.pk if category else None), load)


def missing_documents(request: IntakeRequest) -> list[DocumentType]:
    present = set(request.documents_received) | {a.document_type.code for a in request.attachments}
    return [dt for dt in required_document_types(request.category) if dt.code not in present]


def resolve_queue_list(provider, settlement, fund, category) -> QueueList | None:
    group = category.group if category else CategoryGroup.GENERAL
    return remember(("queue_list", provider.pk, settlement.pk, fund, group), lambda: QueueList.objects.filter(
        provider=provider, settlement=settlement, fund=fund, category_group=group, is_active=True
    ).order_by("ordering", "code").first())  # the model's ordering without its join to the provider (fixed here)


def _check_representative(request: IntakeRequest) -> None:
    rep = request.representative
    if rep is None:
        return
    if rep.record.iin == request.applicant.iin:
        raise ServiceError(_("The representative and the applicant cannot be the same person."))
    if rep.is_legal_representative:
        return
    today = timezone.localdate()
    if rep.power_of_attorney_valid_until and rep.power_of_attorney_valid_until < today:
        raise ServiceError(_("The power of attorney has expired."))
    check = get_notary_registry().check_power_of_attorney(
        rep.power_of_attorney_number, request.applicant.iin, rep.record.iin, today
    )
    if not check.found:
        raise ServiceError(_("The power of attorney was not found in the notary system."))
    if not check.in_force:
        raise ServiceError(_("The power of attorney is not in force (revoked or invalid)."))


def validate_intake(request: IntakeRequest) -> None:
    """Raise a translated ServiceError for anything that must stop acceptance."""
    if set(request.consents) != {c.value for c in ConsentKind}:
        raise MissingConsent()
    if request.category is None and category_required(request.provider.regulation_profile):
        raise ServiceError(_("Choose the category you apply under."))
    if request.settlement.provider_id != request.provider.pk:
        raise ServiceError(_("This settlement is not served by the chosen department."))
    check_birth_date(request.applicant.iin, request.applicant.birth_date)
    seen = {request.applicant.iin}
    for member in request.family:
        check_birth_date(member.iin, member.birth_date)
        if member.iin in seen:
            raise ServiceError(_("The same person is listed twice in the family (IIN %(iin)s).") % {"iin": member.iin})
        seen.add(member.iin)
    _check_representative(request)
    missing = missing_documents(request)
    if missing:
        raise IncompletePackage(
            _("Missing documents: %(list)s.") % {"list": ", ".join(dt.name for dt in missing)}, missing=missing
        )


def _existing_active(person, provider) -> Application | None:
    return Application.objects.filter(applicant=person, provider=provider, state__in=ACTIVE_STATES).first()


def accept_application(request: IntakeRequest) -> Application:
    """Create the case with its queue key, receipt and notifications, all or nothing."""
    if request.draft is not None:
        already = ApplicationDraft.objects.filter(pk=request.draft.pk).values_list("submitted_application", flat=True).first()
        if already:
            return Application.objects.get(pk=already)  # double submit of the same draft: the same case
    validate_intake(request)
    try:
        with transaction.atomic(), batched_writes():
            return _accept(request)
    except IntegrityError:
        # the partial unique index caught a race the row lock did not (e.g. the person was new)
        from ..models import Person

        person = Person.objects.filter(iin=request.applicant.iin).first()
        existing = person and _existing_active(person, request.provider)
        if existing:
            raise DuplicateApplication(existing) from None
        raise


def _accept(request: IntakeRequest) -> Application:
    if request.draft is not None:
        draft = ApplicationDraft.objects.select_for_update().get(pk=request.draft.pk)
        if draft.submitted_application_id:
            return draft.submitted_application
    user_for_person = request.submitted_by if request.channel == Channel.PORTAL else None
    person, created = upsert_person(request.applicant, request.contacts, user=user_for_person)
    existing = None if created else _existing_active(person, request.provider)
    if existing:
        raise DuplicateApplication(existing)

    now = timezone.now()
    received_at = request.received_at or now
    version = current_profile_version(request.provider)  # the case keeps this version
    profile = version.profile
    due = compute_due_dates(received_at, profile, emergency=request.emergency_dwelling, calendar=calendar_for())
    seq, receipt_value = next_values(QUEUE_KEY, DOCUMENT_NUMBER)  # one statement: the queue key, the receipt's number
    representative = _create_representative(request)
    application = Application.objects.create(
        number=f"{request.provider.code.upper()}-{timezone.localtime(now):%Y}-{seq:07d}",
        provider=request.provider,
        settlement=request.settlement,
        fund=request.fund,
        category=request.category,
        queue_list=resolve_queue_list(request.provider, request.settlement, request.fund, request.category),
        applicant=person,
        representative=representative,
        channel=request.channel,
        regulation_profile=profile.code,
        profile_version=version,
        emergency_dwelling=request.emergency_dwelling,
        accepted_at=now,
        queue_seq=seq,
        result_due_at=due.result_due,
        submitted_by=request.submitted_by,
        service_centre=request.service_centre,
        language=request.language,
        contact_phone=request.contacts.phone,
        contact_email=request.contacts.email,
        filed_payload=_filed_payload(request),
    )
    FamilyMember.objects.bulk_create(
        [
            FamilyMember(
                application=application,
                relation=m.relation,
                iin=m.iin,
                full_name=m.full_name,
                birth_date=m.birth_date,
                id_document_number=m.id_document_number,
                disabled=m.disabled,
            )
            for m in request.family
        ]
    )
    Consent.objects.bulk_create([Consent(application=application, kind=kind, given_at=now) for kind in sorted(request.consents)])
    if request.attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in request.attachments]).update(application=application, draft=None)
    if request.draft is not None:
        ApplicationDraft.objects.filter(pk=request.draft.pk).update(submitted_application=application)
    CaseEvent.objects.create(
        application=application, actor=request.submitted_by, action="accept", from_state="", to_state=CaseState.ACCEPTED
    )
    record_event(actor=request.submitted_by, action="application.accepted", obj=application, data={"channel": request.channel})
    receipt = issue_document(
        kind=DocumentKind.ACCEPTANCE_RECEIPT,
        number=document_number(DocumentKind.ACCEPTANCE_RECEIPT, receipt_value, now),
        issued_at=now,
        issued_by=request.submitted_by,
        application=application,
        person_iin=person.iin,
        service_centre=request.service_centre,
        language=request.language,
        context=acceptance_receipt_context(application, request, due),
    )
    enqueue(
        "notify.application_accepted",
        {"application_id": application.pk, "receipt_id": receipt.pk},
        dedupe_key=f"accepted:{application.pk}",
    )
    # the case holds its place from acceptance (DOMAIN.md §7); last, so the list's lock is held only to commit
    open_entry(application, new_case=True)
    return application


def _create_representative(request: IntakeRequest) -> Representative | None:
    rep = request.representative
    if rep is None:
        return None
    person = upsert_person_from_record(rep.record, ContactDetails(phone=""))
    return Representative.objects.create(
        person=person,
        power_of_attorney_number=rep.power_of_attorney_number,
        power_of_attorney_date=rep.power_of_attorney_date,
        power_of_attorney_valid_until=rep.power_of_attorney_valid_until,
        is_legal_representative=rep.is_legal_representative,
        notary_verified=not rep.is_legal_representative,
    )


def _filed_payload(request: IntakeRequest) -> dict:
    """The canonical record of what was filed (later signed with EDS)."""
    return {
        "provider": request.provider.code,
        "settlement": request.settlement.code,
        "fund": request.fund,
        "category": request.category.code if request.category else None,
        "emergency_dwelling": request.emergency_dwelling,
        "applicant": {
            "iin": request.applicant.iin,
            "surname": request.applicant.surname,
            "given_name": request.applicant.given_name,
            "patronymic": request.applicant.patronymic,
            "birth_date": request.applicant.birth_date.isoformat(),
            "address": request.applicant.address,
        },
        "representative": (
            {
                "iin": request.representative.record.iin,
                "power_of_attorney_number": request.representative.power_of_attorney_number,
                "legal_representative": request.representative.is_legal_representative,
            }
            if request.representative
            else None
        ),
        "family": [
            {"iin": m.iin, "relation": m.relation, "full_name": m.full_name, "birth_date": m.birth_date.isoformat(), "disabled": m.disabled}
            for m in request.family
        ],
        "contacts": {"phone": request.contacts.phone, "email": request.contacts.email},
        "consents": sorted(request.consents),
        "documents": sorted(set(request.documents_received) | {a.document_type.code for a in request.attachments}),
        "attachments": [{"type": a.document_type.code, "sha256": a.sha256} for a in request.attachments],
        "channel": request.channel,
    }


def acceptance_receipt_context(application: Application, request: IntakeRequest, due) -> dict:
    """What the receipt shows (DOMAIN.md §9): frozen at issue, so a re-render is identical."""
    documents = sorted(set(request.documents_received) | {a.document_type.code for a in request.attachments})
    place = request.service_centre.address if request.service_centre else application.provider.address
    return {
        "application_number": application.number,
        "accepted_at": application.accepted_at.isoformat(),
        "applicant_name": application.applicant.full_name,
        "applicant_iin": application.applicant.iin,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        "representative_name": request.representative.record.full_name if request.representative else "",
        "documents": documents,
        "document_count": len(documents),
        "result_due": due.result_due.isoformat(),
        "result_place": place,
        "channel": application.channel,
        "operator_name": request.submitted_by.display_name if request.channel == Channel.SERVICE_CENTRE else "",
        "service_centre": request.service_centre.code if request.service_centre else "",
        "provider": application.provider.code,
    }


def refuse_to_accept(*, operator, applicant: PersonRecord, category: Category | None, documents_received: set[str], language: str):
    """ЦОН refusal-to-accept receipt for an incomplete package (DOMAIN.md §3): a receipt, no case."""
    missing = [dt for dt in required_document_types(category) if dt.code not in documents_received]
    if not missing:
        raise ServiceError(_("The package is complete; accept it instead."))
    with transaction.atomic():
        document = issue_document(
            kind=DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT,
            issued_by=operator,
            application=None,
            person_iin=applicant.iin,
            service_centre=operator.service_centre,
            language=language,
            context={
                "applicant_name": applicant.full_name,
                "applicant_iin": applicant.iin,
                "category": category.code if category else None,
                "documents_received": sorted(documents_received),
                "missing": [dt.code for dt in missing],
                "operator_name": operator.display_name,
                "service_centre": operator.service_centre.code,
                "ground": "INCOMPLETE_PACKAGE",
            },
        )
        record_event(actor=operator, action="intake.refused_to_accept", obj=document, data={"missing": [dt.code for dt in missing]})
    return document


def category_required(profile_code: str) -> bool:
    """Under the older regional regulations a category is a condition; national-2025 only asks (p.10)."""
    from eligibility.profiles import PROFILES

    return PROFILES[profile_code].category_required
