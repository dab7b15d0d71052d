"""The citizen's online application while it is being filled: a server-side draft that survives logout."""

from datetime import date

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Settlement
from audit.services import record_event

from ..models import Application, ApplicationDraft, Attachment, Category, Channel
from ..uploads import CheckedUpload
from .errors import ServiceError
from .intake import FamilyMemberData, IntakeRequest
from .people import ContactDetails, lookup_person

STEPS = ("housing", "person", "family", "documents", "consents", "review")


def open_draft(user) -> ApplicationDraft:
    draft = ApplicationDraft.objects.filter(owner=user, submitted_application__isnull=True).first()
    if draft is None:
        draft, _ = ApplicationDraft.objects.get_or_create(owner=user, submitted_application=None, defaults={"data": {}})
    return draft


def save_step(draft: ApplicationDraft, step: str, values: dict) -> ApplicationDraft:
    with transaction.atomic():
        draft = ApplicationDraft.objects.select_for_update().get(pk=draft.pk)
        if draft.submitted_application_id:
            raise ServiceError(_("This application has already been submitted."))
        draft.data[step] = values
        draft.data["version"] = int(draft.data.get("version", 0)) + 1
        draft.save(update_fields=["data", "updated_at"])
    return draft


def add_family_member(draft: ApplicationDraft, member: dict) -> ApplicationDraft:
    family = [m for m in draft.data.get("family", []) if m["iin"] != member["iin"]]
    family.append(member)
    return save_step(draft, "family", family)


def remove_family_member(draft: ApplicationDraft, iin: str) -> ApplicationDraft:
    return save_step(draft, "family", [m for m in draft.data.get("family", []) if m["iin"] != iin])


def attach_scan(draft: ApplicationDraft, user, document_type, upload: CheckedUpload) -> Attachment:
    return store_scan(upload, user, draft=draft, document_type=document_type)


def store_scan(upload: CheckedUpload, user, *, document_type, draft=None, application=None) -> Attachment:
    """Keep a checked scan under its sha256, owned by a draft or a case."""
    with transaction.atomic():
        attachment = Attachment(
            draft=draft,
            application=application,
            document_type=document_type,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=len(upload.content),
            sha256=upload.sha256,
            uploaded_by=user,
        )
        attachment.file.save(upload.sha256, ContentFile(upload.content), save=False)
        attachment.save()
        record_event(actor=user, action="attachment.uploaded", obj=attachment, data={"sha256": upload.sha256})
    return attachment


def remove_scan(draft: ApplicationDraft, attachment_id: int) -> None:
    Attachment.objects.filter(pk=attachment_id, draft=draft, application__isnull=True).delete()


def build_intake_request(draft: ApplicationDraft, user, language: str) -> IntakeRequest:
    data = draft.data
    missing_steps = [step for step in ("housing", "person", "consents") if step not in data]
    if missing_steps:
        raise ServiceError(_("Some steps are not complete yet. Please fill them in first."), steps=missing_steps)
    housing = data["housing"]
    settlement = Settlement.objects.select_related("provider").filter(pk=housing["settlement"]).first()
    if settlement is None:
        raise ServiceError(_("The chosen settlement no longer exists; please choose again."))
    category = Category.objects.filter(pk=housing.get("category")).first() if housing.get("category") else None
    return IntakeRequest(
        provider=settlement.provider,
        settlement=settlement,
        fund=housing["fund"],
        category=category,
        emergency_dwelling=bool(housing.get("emergency_dwelling")),
        applicant=lookup_person(user.iin),
        contacts=ContactDetails(phone=data["person"]["phone"], email=data["person"].get("email", "")),
        consents={kind for kind, given in data["consents"].items() if given},
        channel=Channel.PORTAL,
        submitted_by=user,
        language=language,
        family=[
            FamilyMemberData(
                iin=m["iin"],
                relation=m["relation"],
                full_name=m["full_name"],
                birth_date=date.fromisoformat(m["birth_date"]),
                disabled=bool(m.get("disabled")),
            )
            for m in data.get("family", [])
        ],
        attachments=list(draft.attachments.select_related("document_type")),
        draft=draft,
    )


def submit_draft(draft: ApplicationDraft, user, language: str, version: str, cms: str = "", method: str = "") -> Application:
    """Submitting twice (double click, back button) returns the same case, never a second one.

    `cms` is the applicant's EDS over the canonical JSON of what is filed (signatures.services); the case is
    accepted only with a valid one while KEZEK_REQUIRE_EDS is on.
    """
    from signatures.services import accept_with_signature

    if draft.submitted_application_id:
        return draft.submitted_application
    if str(draft.data.get("version", 0)) != str(version):
        raise ServiceError(_("The application changed in another window. Please check your answers again."))
    return accept_with_signature(build_intake_request(draft, user, language), cms, method=method)


def payload_to_sign(draft: ApplicationDraft, user, language: str) -> bytes | None:
    """The exact bytes the applicant signs on the review step (None while the draft is incomplete)."""
    from signatures.services import application_payload

    try:
        return application_payload(build_intake_request(draft, user, language))
    except ServiceError:
        return None
