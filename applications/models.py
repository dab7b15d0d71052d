from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.access import fsm_permission
from core.models import TranslatedNameMixin
from eligibility.categories import CATEGORY_GROUPS
from eligibility.iin import InvalidIIN, parse_iin
from queues.models import CategoryGroup, Fund


def validate_iin(value: str) -> None:
    try:
        parse_iin(value)
    except InvalidIIN as exc:
        raise ValidationError(_("Invalid IIN: %(reason)s"), code="invalid_iin", params={"reason": exc}) from None


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A natural person known by IIN; birth date and sex must agree with the IIN."""

    iin = models.CharField(_("IIN"), max_length=12, unique=True, validators=[validate_iin])
    surname = models.CharField(_("Surname"), max_length=100)
    given_name = models.CharField(_("Name"), max_length=100)
    patronymic = models.CharField(_("Patronymic"), max_length=100, blank=True)
    birth_date = models.DateField(_("Date of birth"))
    sex = models.CharField(_("Sex"), max_length=1, choices=Sex.choices)
    id_document_number = models.CharField(_("ID document number"), max_length=20, blank=True)
    id_document_issued = models.DateField(_("ID document issue date"), null=True, blank=True)
    address = models.CharField(_("Registration address"), max_length=255, blank=True)
    registered_here_since = models.DateField(_("Registered at this address since"), null=True, blank=True)
    phone = models.CharField(_("Mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("E-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(iin__regex=r"^[0-9]{12}$"), name="person_iin_12_digits")]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)

    @property
    def initials(self) -> str:
        """Masked name for public lists: surname initial and name initial only."""
        return " ".join(f"{p[0]}." for p in (self.surname, self.given_name, self.patronymic) if p)

    def clean(self):
        try:
            parsed = parse_iin(self.iin)
        except InvalidIIN:
            return  # the field validator reports it
        errors = {}
        if self.birth_date and self.birth_date != parsed.birth_date:
            errors["birth_date"] = _("The date of birth does not match the IIN (%(date)s).") % {
                "date": parsed.birth_date.strftime("%d.%m.%Y")
            }
        if self.sex and self.sex != parsed.sex:
            errors["sex"] = _("The sex does not match the IIN.")
        if errors:
            raise ValidationError(errors)


class DocumentTypeQuerySet(models.QuerySet):
    def for_intake(self):
        """What an applicant hands in with the application (not later hearing material)."""
        return self.exclude(code__in=NOT_AT_INTAKE)


NOT_AT_INTAKE = ("hearing_objection",)


class DocumentType(TranslatedNameMixin):
    """A kind of supporting document (DOMAIN.md §4)."""

    objects = DocumentTypeQuerySet.as_manager()

    code = models.SlugField(max_length=48, unique=True)
    required_for_all = models.BooleanField(default=False)
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "code"]


class Category(TranslatedNameMixin):
    """An eligibility category with its stable CONTRACT code and the documents it requires."""

    code = models.CharField(max_length=32, unique=True, choices=[(c, c) for c in CATEGORY_GROUPS])
    group = models.CharField(max_length=32, choices=CategoryGroup.choices)
    required_documents = models.ManyToManyField(DocumentType, blank=True, related_name="categories")
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["ordering", "code"]
        verbose_name_plural = "categories"


class Channel(models.TextChoices):
    PORTAL = "portal", _("egov portal (online)")
    SERVICE_CENTRE = "service_centre", _("Public service centre (ЦОН)")


class CaseState(models.TextChoices):
    """Every state of the whole workflow (DOMAIN.md §3, §7). Transitions after intake come with the workflow."""

    ACCEPTED = "accepted", _("Accepted, waiting for registration")  # қабылданды
    REGISTERED = "registered", _("Registered, waiting for an executor")  # тіркелді
    IN_REVIEW = "in_review", _("Under review")  # қаралуда
    AWAITING_DOCUMENTS = "awaiting_documents", _("Waiting for documents from the applicant")
    HEARING = "hearing", _("Preliminary refusal, hearing scheduled")  # тыңдау
    AWAITING_SIGNATURE = "awaiting_signature", _("Decision drafted, waiting for signature")
    QUEUED = "queued", _("Registered in the queue")  # кезекке қойылды
    REFUSED = "refused", _("Refused")  # бас тартылды
    RETURNED = "returned", _("Returned as incomplete")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    REMOVED = "removed", _("Removed from the register")  # есептен шығарылды
    HOUSED = "housed", _("Housing provided")


# A pending case holds its place in the queue (DOMAIN.md §7); these plus QUEUED block a second application.
PENDING_STATES = [
    CaseState.ACCEPTED,
    CaseState.REGISTERED,
    CaseState.IN_REVIEW,
    CaseState.AWAITING_DOCUMENTS,
    CaseState.HEARING,
    CaseState.AWAITING_SIGNATURE,
]
ACTIVE_STATES = [*PENDING_STATES, CaseState.QUEUED]
CLOSED_STATES = [s for s in CaseState if s not in ACTIVE_STATES]


class Representative(models.Model):
    """Someone applying on another's behalf under a power of attorney (or as a legal representative)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="representations")
    power_of_attorney_number = models.CharField(_("Power of attorney number"), max_length=64, blank=True)
    power_of_attorney_date = models.DateField(_("Power of attorney date"), null=True, blank=True)
    power_of_attorney_valid_until = models.DateField(_("Valid until"), null=True, blank=True)
    is_legal_representative = models.BooleanField(_("Legal representative of a minor"), default=False)
    notary_verified = models.BooleanField(default=False)


class Application(ConcurrentTransitionMixin, models.Model):
    """A case (іс): exists only once a complete application is accepted, so the queue key is known at birth."""

    number = models.CharField(_("Application number"), max_length=32, unique=True)
    # provider and queue_list lead composite indexes (Meta), so their own single-column indexes are not built
    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="applications",
                                 db_index=False)
    settlement = models.ForeignKey("accounts.Settlement", on_delete=models.PROTECT, related_name="applications")
    fund = models.CharField(_("Housing fund"), max_length=20, choices=Fund.choices)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="applications")
    queue_list = models.ForeignKey(
        "queues.QueueList", null=True, blank=True, on_delete=models.PROTECT, related_name="applications",
        db_index=False,
    )
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications")
    representative = models.ForeignKey(
        Representative, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    state = FSMField(default=CaseState.ACCEPTED, choices=CaseState.choices, protected=True)  # indexed in Meta
    regulation_profile = models.CharField(max_length=32)
    # the regulation profile version the case was accepted under (deadlines.services.profile_for_case)
    profile_version = models.ForeignKey(
        "deadlines.RegulationProfileVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emergency_dwelling = models.BooleanField(default=False)
    # The queue key (DOMAIN.md §7): written once at acceptance, never updated (database trigger).
    accepted_at = models.DateTimeField(_("Accepted at"))
    queue_seq = models.BigIntegerField(unique=True)
    result_due_at = models.DateTimeField(_("Result due"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submitted_cases")
    service_centre = models.ForeignKey(
        "accounts.ServiceCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    assigned_executor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    language = models.CharField(max_length=5, default="kk")
    contact_phone = models.CharField(_("Mobile phone"), max_length=20)
    contact_email = models.EmailField(_("E-mail"), blank=True)
    filed_payload = models.JSONField(default=dict, help_text="Canonical record of exactly what was filed")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["accepted_at", "queue_seq"]
        indexes = [
            models.Index(fields=["provider", "state", "accepted_at"]),
            models.Index(fields=["queue_list", "accepted_at", "queue_seq"]),
            # the staff inbox: a department's cases in queue-key order, read a page at a time (LIMIT 50)
            models.Index(fields=["provider", "accepted_at", "queue_seq"], name="application_inbox_order"),
            # a plain index: db_index on a text column also builds a LIKE-pattern index on PostgreSQL nobody uses
            models.Index(fields=["state"], name="application_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "provider"],
                condition=Q(state__in=[s.value for s in ACTIVE_STATES]),
                name="one_active_application_per_person_per_provider",
            ),
            models.CheckConstraint(
                condition=Q(channel="portal") | Q(service_centre__isnull=False), name="service_centre_case_has_branch"
            ),
        ]

    def __str__(self):
        return self.number

    # Transitions: pure state changes, nothing slow; services call them under a row lock and
    # record the CaseEvent, audit event and outbox messages (DOMAIN.md §3 workflow).
    @transition(field=state, source=CaseState.ACCEPTED, target=CaseState.REGISTERED, permission=fsm_permission("register"))
    def register(self):
        """Clerk registers the incoming case (тіркеу)."""

    @transition(field=state, source=CaseState.REGISTERED, target=CaseState.IN_REVIEW, permission=fsm_permission("assign_executor"))
    def assign_executor(self, executor):
        self.assigned_executor = executor

    @transition(field=state, source=CaseState.IN_REVIEW, target=CaseState.AWAITING_DOCUMENTS, permission=fsm_permission("request_documents"))
    def request_documents(self):
        pass

    @transition(field=state, source=CaseState.AWAITING_DOCUMENTS, target=CaseState.IN_REVIEW, permission=fsm_permission("receive_documents"))
    def receive_documents(self):
        pass

    @transition(field=state, source=[CaseState.IN_REVIEW, CaseState.AWAITING_DOCUMENTS], target=CaseState.RETURNED, permission=fsm_permission("return_incomplete"))
    def return_incomplete(self):
        pass

    @transition(field=state, source=CaseState.IN_REVIEW, target=CaseState.HEARING, permission=fsm_permission("send_preliminary_refusal"))
    def send_preliminary_refusal(self):
        pass

    @transition(field=state, source=[CaseState.IN_REVIEW, CaseState.HEARING], target=CaseState.AWAITING_SIGNATURE, permission=fsm_permission("submit_draft_decision"))
    def submit_draft_decision(self):
        pass

    @transition(field=state, source=CaseState.AWAITING_SIGNATURE, target=CaseState.IN_REVIEW, permission=fsm_permission("send_back_to_executor"))
    def send_back_to_executor(self):
        pass

    @transition(field=state, source=CaseState.AWAITING_SIGNATURE, target=CaseState.QUEUED, permission=fsm_permission("sign_registration"))
    def sign_registration(self):
        pass

    @transition(field=state, source=CaseState.AWAITING_SIGNATURE, target=CaseState.REFUSED, permission=fsm_permission("sign_refusal"))
    def sign_refusal(self):
        pass

    @transition(field=state, source=PENDING_STATES, target=CaseState.WITHDRAWN, permission=fsm_permission("withdraw"))
    def withdraw(self):
        pass

    @transition(field=state, source=CaseState.QUEUED, target=CaseState.REMOVED, permission=fsm_permission("remove_from_register"))
    def remove_from_register(self):
        pass

    @transition(field=state, source=[CaseState.REMOVED, CaseState.REFUSED], target=CaseState.QUEUED, permission=fsm_permission("restore_to_register"))
    def restore_to_register(self):
        """Back in the queue by court order or proven official error; only through an approved
        restoration request (queues.services.removals.approve_restoration), never on its own."""

    @transition(field=state, source=CaseState.QUEUED, target=CaseState.HOUSED, permission=fsm_permission("mark_housed"))
    def mark_housed(self):
        pass

    @property
    def queue_key(self) -> tuple:
        return (self.accepted_at, self.queue_seq)

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING_STATES


class FamilyRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other family member")


class FamilyMember(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="family_members")
    relation = models.CharField(_("Relation"), max_length=20, choices=FamilyRelation.choices)
    iin = models.CharField(_("IIN"), max_length=12, validators=[validate_iin])
    full_name = models.CharField(_("Full name"), max_length=255)
    birth_date = models.DateField(_("Date of birth"))
    id_document_number = models.CharField(_("ID document number"), max_length=20, blank=True)
    disabled = models.BooleanField(_("Has a disability"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "iin"], name="family_member_once_per_case")]


class ConsentKind(models.TextChoices):
    PROPERTY_CHECK = "property_check", _("I consent to checking housing ownership of me and my family")
    PERSONAL_DATA = "personal_data", _(
        "I consent to the collection and processing of my protected personal data (Law on personal data, art. 8)"
    )
    PUBLICATION = "publication", _("I consent to publishing my data in the queue lists (Law on housing relations, art. 71, 78)")


class Consent(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    given_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "kind"], name="consent_once_per_case")]


def document_upload_path(instance, filename):
    return f"documents/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A scanned document; belongs to a draft while the citizen fills the form, then to the case."""

    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    draft = models.ForeignKey("ApplicationDraft", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT)
    file = models.FileField(upload_to=document_upload_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_type__ordering", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(draft__isnull=False), name="attachment_has_owner"
            )
        ]


class ApplicationDraft(models.Model):
    """What a citizen has typed so far; stored server-side so it survives logout."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    data = models.JSONField(default=dict)
    submitted_application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(submitted_application__isnull=True), name="one_open_draft_per_owner"
            )
        ]


class CaseEvent(models.Model):
    """The case timeline: every transition with who, when and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=48)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24)
    comment = models.TextField(blank=True)
    visible_to_applicant = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]


class EligibilityCheck(models.Model):
    """One run of the rules engine over the case as built from the application and the state systems.

    The input is stored whole so an auditor or a court can re-run the decision (`check_eligibility`).
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="eligibility_checks")
    run_at = models.DateTimeField(auto_now_add=True)
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    case_input = models.JSONField()
    eligible = models.BooleanField()
    grounds = models.JSONField(default=list)
    findings = models.JSONField(default=list)
    queue_group = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-run_at", "-id"]


class DecisionKind(models.TextChoices):
    REGISTRATION = "registration", _("Notification of registration in the queue")
    REFUSAL = "refusal", _("Reasoned refusal")


class Decision(models.Model):
    """The executor's draft and the head's signed result; at most one open (unsigned) draft per case."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=16, choices=DecisionKind.choices)
    grounds = models.JSONField(default=list, blank=True, help_text="Refusal ground codes (DOMAIN.md §6)")
    findings = models.JSONField(default=list, blank=True, help_text="The facts behind each ground")
    reasoning = models.TextField(_("Reasoning"), blank=True)
    override_reason = models.TextField(
        _("Reason for departing from the eligibility check"), blank=True
    )
    eligibility_check = models.ForeignKey(EligibilityCheck, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    returned_comment = models.TextField(blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    queue_number = models.PositiveIntegerField(null=True, blank=True, help_text="Number notified at signing")
    document = models.OneToOneField(
        "documents.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handed_out_at = models.DateTimeField(null=True, blank=True)
    handed_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-drafted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(signed_at__isnull=True, returned_comment=""),
                name="one_open_decision_draft_per_case",
            ),
            models.CheckConstraint(
                condition=Q(kind="registration") | ~Q(grounds=[]), name="refusal_names_grounds"
            ),
        ]


class DocumentRequest(models.Model):
    """The executor asks the applicant for missing documents; the profile's clock rules apply."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="document_requests")
    document_types = models.ManyToManyField(DocumentType, related_name="+")
    comment = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    respond_by = models.DateTimeField()
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]


class Hearing(models.Model):
    """Preliminary refusal and the hearing it invites to (APC art. 73, seed 004 p.17)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="hearings")
    preliminary_grounds = models.JSONField(default=list)
    preliminary_findings = models.JSONField(default=list)
    notice_document = models.OneToOneField(
        "documents.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="hearing"
    )
    notice_sent_at = models.DateTimeField()
    scheduled_at = models.DateTimeField(_("Hearing date and time"))
    place = models.CharField(_("Place or link"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(_("The applicant attended"), null=True, blank=True)
    applicant_position = models.TextField(_("The applicant's position"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-notice_sent_at"]


class ComplaintState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ASSIGNED = "assigned", _("Under consideration")
    ANSWERED = "answered", _("Answered")
    SETTLED = "settled", _("Settled by the department")


class ComplaintSubject(models.TextChoices):
    DECISION = "decision", _("The decision")
    INACTION = "inaction", _("Inaction or delay")


class Complaint(models.Model):
    """A complaint to the head of the provider: answered in 5 working days, settled in 3."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="complaints")
    number = models.CharField(max_length=32, unique=True)
    subject = models.CharField(_("About"), max_length=16, choices=ComplaintSubject.choices)
    text = models.TextField(_("Complaint"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=ComplaintState.choices, default=ComplaintState.REGISTERED)
    answer_due_at = models.DateTimeField()
    settle_due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answer = models.TextField(_("Answer"), blank=True)
    upheld = models.BooleanField(_("Complaint upheld"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer_document = models.OneToOneField(
        "documents.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="complaint"
    )

    class Meta:
        ordering = ["-filed_at"]
