from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TranslatedNameMixin


class Fund(models.TextChoices):
    COMMUNAL = "communal", _("Communal housing fund")
    STATE_ENTERPRISE = "state_enterprise", _("State enterprise housing fund")
    STATE_INSTITUTION = "state_institution", _("State institution housing fund")


class CategoryGroup(models.TextChoices):
    """Separate lists per group (DOMAIN.md §7); codes match eligibility.categories."""

    SOCIALLY_VULNERABLE = "SOCIALLY_VULNERABLE", _("Socially vulnerable groups")
    CIVIL_SERVANTS = "CIVIL_SERVANTS", _("Civil servants, budget employees, military, elected officials")
    ORPHANS = "ORPHANS", _("Orphans and children left without parental care")
    EMERGENCY = "EMERGENCY", _("Citizens whose only dwelling is in emergency condition")
    GENERAL = "GENERAL", _("General list")


class QueueList(TranslatedNameMixin):
    """One waiting list; which lists exist is configuration an administrator edits."""

    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="queue_lists")
    settlement = models.ForeignKey("accounts.Settlement", on_delete=models.PROTECT, related_name="queue_lists")
    code = models.SlugField(max_length=64)
    fund = models.CharField(max_length=20, choices=Fund.choices)
    category_group = models.CharField(max_length=32, choices=CategoryGroup.choices)
    is_active = models.BooleanField(default=True)
    ordering = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["provider", "ordering", "code"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "code"], name="queue_list_code_unique_per_provider"),
            models.UniqueConstraint(
                fields=["provider", "settlement", "fund", "category_group"], name="one_list_per_group_fund_settlement"
            ),
        ]


# --- places in the queue ---------------------------------------------------------------------------------------

class EntryStatus(models.TextChoices):
    """Where a place stands. Pending and registered places both count for everyone behind (DOMAIN.md §7)."""

    PENDING = "pending", _("Pending a decision (holds its place)")
    REGISTERED = "registered", _("Registered")  # есепке қойылды
    REFUSED = "refused", _("Refused")
    RETURNED = "returned", _("Returned as incomplete")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REMOVED = "removed", _("Removed from the register")  # есептен шығарылды
    HOUSED = "housed", _("Housing provided")


ACTIVE_ENTRY_STATUSES = (EntryStatus.PENDING, EntryStatus.REGISTERED)
BLOCK_SIZE = 1024  # places per position block (queues.selectors.position)


class QueueEntry(models.Model):
    """One place in one list (кезектегі орын), keyed by the case's immutable queue key.

    A number is never stored: it is the rank of the key among the list's active places, read from the
    per-block counters (QueueBlock) plus one small index range, so removing someone at the head is one row
    update, not a renumbering.
    """

    queue_list = models.ForeignKey(QueueList, on_delete=models.PROTECT, related_name="entries")
    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="queue_entry")
    # who holds the place now: the applicant, or the family member who continues after the applicant's death
    holder = models.ForeignKey("applications.Person", on_delete=models.PROTECT, related_name="queue_places")
    accepted_at = models.DateTimeField()
    queue_seq = models.BigIntegerField()
    # blocks are key-ordered: every place in a lower block has an earlier key (queues.services.entries._block_for)
    block_no = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    active = models.BooleanField(default=True)
    # what the published list shows instead of a name or IIN
    initials = models.CharField(max_length=16)
    category_code = models.CharField(max_length=32, blank=True)
    registered_on = models.DateField()  # local date of the queue key, as published
    # the number in the registration notification, and the smallest number shown since; a number never grows
    notified_number = models.PositiveIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # hash of the log event that recorded this place and its key; printed on the registration notification
    place_event_hash = models.CharField(max_length=64, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["queue_list", "accepted_at", "queue_seq"]
        constraints = [
            models.UniqueConstraint(fields=["queue_list", "accepted_at", "queue_seq"], name="queue_entry_key_unique"),
            models.CheckConstraint(
                condition=models.Q(active=True, status__in=["pending", "registered"])
                | models.Q(active=False, status__in=["refused", "returned", "withdrawn", "removed", "housed"]),
                name="queue_entry_active_matches_status",
            ),
            models.CheckConstraint(
                condition=models.Q(notified_number__isnull=True) | models.Q(notified_number__gte=1),
                name="queue_entry_notified_number_positive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["queue_list", "block_no", "accepted_at", "queue_seq"],
                condition=models.Q(active=True),
                name="queue_entry_active_rank",
            ),
            models.Index(fields=["holder", "active"], name="queue_entry_holder"),
        ]

    def __str__(self):
        return f"{self.queue_list.code}:{self.application_id}"

    @property
    def key(self) -> tuple:
        return (self.accepted_at, self.queue_seq)


class QueueBlock(models.Model):
    """Counters of one key-ordered block of places; kept by a database trigger on QueueEntry."""

    queue_list = models.ForeignKey(QueueList, on_delete=models.CASCADE, related_name="blocks")
    block_no = models.PositiveIntegerField()
    active_count = models.IntegerField(default=0)
    total_count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue_list", "block_no"], name="queue_block_unique"),
            models.CheckConstraint(condition=models.Q(active_count__gte=0), name="queue_block_active_nonnegative"),
            models.CheckConstraint(
                condition=models.Q(total_count__gte=models.F("active_count")), name="queue_block_total_covers_active"
            ),
        ]


# --- the tamper-evident log ------------------------------------------------------------------------------------

class EventKind(models.TextChoices):
    ENTERED = "entered", _("Application accepted: place taken")
    REGISTERED = "registered", _("Registered in the queue")
    LEFT = "left", _("Left the queue before registration (refused, returned or withdrawn)")
    REMOVED = "removed", _("Removed from the register")
    RESTORED = "restored", _("Restored to the register")
    HOUSED = "housed", _("Housing provided")
    SUCCEEDED = "succeeded", _("Place continued by a family member")


GENESIS_HASH = "0" * 64


class LedgerHead(models.Model):
    """The end of one list's hash chain; locked to append, so events of a list are strictly ordered."""

    queue_list = models.OneToOneField(QueueList, on_delete=models.CASCADE, primary_key=True, related_name="ledger_head")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)


class QueueEvent(models.Model):
    """One link of a list's hash chain (кезек журналы). Append-only (database trigger).

    Holds only public facts (application number, key, initials, category, ground): the log is published.
    """

    # both keys lead indexes of their own (Meta), so their single-column FK indexes are not built
    queue_list = models.ForeignKey(QueueList, on_delete=models.PROTECT, related_name="events", db_index=False)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    entry = models.ForeignKey(QueueEntry, on_delete=models.PROTECT, related_name="events", db_index=False)
    application_number = models.CharField(max_length=32)
    key_at = models.DateTimeField()
    key_seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # unique (Meta): unique=True also built a LIKE-pattern index on PostgreSQL

    class Meta:
        ordering = ["queue_list", "seq"]
        constraints = [models.UniqueConstraint(fields=["queue_list", "seq"], name="queue_event_seq_unique"),
                       models.UniqueConstraint(fields=["hash"], name="queue_event_hash_unique")]
        indexes = [
            models.Index(fields=["queue_list", "kind", "occurred_at"], name="queue_event_kind_time"),
            models.Index(fields=["entry", "seq"], name="queue_event_entry"),
            # what moves numbers (queues.selectors.position_history): a small slice of a list's log
            models.Index(fields=["queue_list", "seq"], condition=models.Q(kind__in=["left", "removed", "housed", "restored"]),
                         name="queue_event_moves"),
        ]


# --- published lists -------------------------------------------------------------------------------------------

class SnapshotKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly publication")
    ANNUAL = "annual", _("Annual publication (first quarter)")
    ON_DEMAND = "on_demand", _("Publication on demand")


class SnapshotStatus(models.TextChoices):
    GENERATING = "generating", _("Being generated")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class PublishedSnapshot(models.Model):
    """One dated publication of one list: rows, CSV, PDF and a manifest with the chain head, sealed."""

    queue_list = models.ForeignKey(QueueList, on_delete=models.PROTECT, related_name="snapshots")
    kind = models.CharField(max_length=16, choices=SnapshotKind.choices)
    name = models.CharField(max_length=64)  # e.g. "2027 Q1" for the annual snapshot, "2026-11" for a monthly one
    status = models.CharField(max_length=16, choices=SnapshotStatus.choices, default=SnapshotStatus.GENERATING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    as_of_seq = models.PositiveBigIntegerField(null=True, blank=True)  # last log event the rows follow from
    chain_head = models.CharField(max_length=64, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    csv_path = models.CharField(max_length=255, blank=True)
    csv_sha256 = models.CharField(max_length=64, blank=True)
    pdf_path = models.CharField(max_length=255, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    log_path = models.CharField(max_length=255, blank=True)
    log_sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(default=dict)
    manifest_signature = models.BinaryField(blank=True, default=b"")  # detached CMS by the provider's seal
    error = models.TextField(blank=True)
    # rows of old snapshots are pruned (their files stay): see queues.services.publication.PRUNE_KEEP
    rows_pruned = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["queue_list", "name"], condition=models.Q(status="published"), name="published_snapshot_name_unique"
            ),
            models.UniqueConstraint(
                fields=["queue_list"], condition=models.Q(status="generating"), name="one_generating_snapshot_per_list"
            ),
        ]


class PublishedRow(models.Model):
    """One line of a published list: never an IIN or a full name."""

    snapshot = models.ForeignKey(PublishedSnapshot, on_delete=models.CASCADE, related_name="rows")
    ordinal = models.PositiveIntegerField()
    application_number = models.CharField(max_length=32)
    initials = models.CharField(max_length=16)
    registered_on = models.DateField()
    category_code = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "ordinal"], name="published_row_ordinal_unique"),
            models.UniqueConstraint(fields=["snapshot", "application_number"], name="published_row_number_unique"),
        ]


# --- removals and restorations: two people decide ----------------------------------------------------------------

class RequestStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for the second approver")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class RemovalGround(models.TextChoices):
    """Law art. 73 (DOMAIN.md §7). Housing provided closes a place through allocation, not here."""

    GROUNDS_CEASED = "GROUNDS_CEASED", _("Grounds for provision of housing ceased (e.g. a dwelling acquired)")
    MOVED_AWAY = "MOVED_AWAY", _("Moved permanently to another settlement")
    LEFT_STATE_JOB = "LEFT_STATE_JOB", _("Left the state job that entitled them")
    FALSE_INFORMATION = "FALSE_INFORMATION", _("False information found in the documents")
    UNLAWFUL_REGISTRATION = "UNLAWFUL_REGISTRATION", _("Unlawful registration by officials")
    OWN_REQUEST = "OWN_REQUEST", _("At the person's own request")
    DEATH = "DEATH", _("Death of the person")


class RestorationBasis(models.TextChoices):
    COURT_ORDER = "COURT_ORDER", _("Court order")
    OFFICIAL_ERROR = "OFFICIAL_ERROR", _("Proven error of officials")


class TwoPersonRequest(models.Model):
    """Proposed by one officer, decided by another: the approver can never be the proposer (database check)."""

    entry = models.ForeignKey(QueueEntry, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("Reason"))
    legal_basis = models.CharField(_("Legal basis"), max_length=255)
    document = models.FileField(_("Supporting document"), upload_to="queue-requests/%Y/%m/")
    document_sha256 = models.CharField(max_length=64)
    effective_date = models.DateField(_("Date"))
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        abstract = True


def _two_person_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(
            condition=models.Q(decided_by__isnull=True) | ~models.Q(decided_by=models.F("proposed_by")),
            name=f"{prefix}_second_person_decides",
        ),
        models.CheckConstraint(
            condition=models.Q(status="proposed", decided_by__isnull=True)
            | (~models.Q(status="proposed") & models.Q(decided_by__isnull=False, decided_at__isnull=False)),
            name=f"{prefix}_decided_has_decider",
        ),
        models.UniqueConstraint(fields=["entry"], condition=models.Q(status="proposed"), name=f"{prefix}_one_open_per_entry"),
    ]


class RemovalRequest(TwoPersonRequest):
    ground = models.CharField(_("Ground"), max_length=32, choices=RemovalGround.choices)
    # on death the place is kept for a family member who continues the case (DOMAIN.md §7)
    successor = models.ForeignKey(
        "applications.FamilyMember", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finding = models.ForeignKey("queues.InventoryFinding", null=True, blank=True, on_delete=models.PROTECT, related_name="removals")
    # where the case's notices go once the successor continues (notifications.services.addressee)
    successor_phone = models.CharField(_("Successor's mobile phone"), max_length=20, blank=True)
    successor_email = models.EmailField(_("Successor's e-mail"), blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = _two_person_constraints("removal") + [
            models.CheckConstraint(
                condition=models.Q(successor__isnull=True) | models.Q(ground="DEATH"), name="removal_successor_only_on_death"
            ),
            models.CheckConstraint(
                condition=models.Q(successor__isnull=False) | (models.Q(successor_phone="") & models.Q(successor_email="")),
                name="removal_contacts_only_with_successor",
            ),
        ]


class RestorationRequest(TwoPersonRequest):
    basis = models.CharField(_("Basis"), max_length=32, choices=RestorationBasis.choices)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = _two_person_constraints("restoration")


# --- the annual inventory ----------------------------------------------------------------------------------------

class CampaignStatus(models.TextChoices):
    RUNNING = "running", _("Checking entries")
    REVIEW = "review", _("Findings under review")
    CLOSED = "closed", _("Closed")


class InventoryCampaign(models.Model):
    """The yearly re-check of every active place against the state systems (жыл сайынғы түгендеу)."""

    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="inventory_campaigns")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.RUNNING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    response_due = models.DateField(_("People answer by"))
    total = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    last_entry_id = models.BigIntegerField(default=0)  # resume point: the check is idempotent and restartable
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["provider", "year"], name="one_inventory_per_provider_year")]


class FindingKind(models.TextChoices):
    DECEASED = "DECEASED", _("The individuals database records the person's death")
    NOT_FOUND = "NOT_FOUND", _("The person is not found in the individuals database")
    MOVED_AWAY = "MOVED_AWAY", _("Registered address is no longer in the settlement")
    OWNS_DWELLING = "OWNS_DWELLING", _("The property registry shows a dwelling acquired")
    STATE_HOUSING = "STATE_HOUSING", _("The person now holds state housing")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the person's answer")
    ANSWERED = "answered", _("The person answered")
    DISMISSED = "dismissed", _("Dismissed: the place stays")
    REMOVAL_PROPOSED = "removal_proposed", _("Removal proposed")


class InventoryFinding(models.Model):
    campaign = models.ForeignKey(InventoryCampaign, on_delete=models.PROTECT, related_name="findings")
    entry = models.ForeignKey(QueueEntry, on_delete=models.PROTECT, related_name="inventory_findings")
    kind = models.CharField(max_length=32, choices=FindingKind.choices)
    facts = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    answer = models.TextField(_("Your answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "entry_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["campaign", "entry", "kind"], name="one_finding_per_kind")]
