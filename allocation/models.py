"""Providing housing strictly in queue order (DOMAIN.md §7): dwellings, rounds, offers, skips and decisions.

Every pass over someone ahead is a Skip with a reason code, a comment and a second approver; every dwelling
goes to at most one person and every person gets at most one dwelling (partial unique indexes).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from queues.models import Fund


class DwellingCondition(models.TextChoices):
    GOOD = "good", _("Ready to move in")
    NEEDS_REPAIR = "needs_repair", _("Needs cosmetic repair")


class DwellingStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    IN_ROUND = "in_round", _("In an allocation round")
    ALLOCATED = "allocated", _("Allocated by decision")
    WITHDRAWN = "withdrawn", _("Withdrawn from the stock")


class Dwelling(models.Model):
    """A dwelling that became available for provision (тұрғын үй қорынан босаған пәтер)."""

    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="dwellings")
    settlement = models.ForeignKey("accounts.Settlement", on_delete=models.PROTECT, related_name="dwellings")
    fund = models.CharField(_("Housing fund"), max_length=20, choices=Fund.choices)
    reference = models.CharField(_("Cadastral or inventory number"), max_length=64)
    address = models.CharField(_("Address"), max_length=255)
    rooms = models.PositiveSmallIntegerField(_("Rooms"), validators=[MinValueValidator(1)])
    useful_area = models.DecimalField(_("Useful area, m²"), max_digits=7, decimal_places=2,
                                      validators=[MinValueValidator(Decimal("1"))])
    floor = models.SmallIntegerField(_("Floor"))
    wheelchair_accessible = models.BooleanField(_("Wheelchair accessible"), default=False)
    has_lift = models.BooleanField(_("Lift"), default=False)
    accessibility_notes = models.CharField(_("Other accessibility features"), max_length=255, blank=True)
    condition = models.CharField(_("Condition"), max_length=20, choices=DwellingCondition.choices)
    status = models.CharField(max_length=16, choices=DwellingStatus.choices, default=DwellingStatus.AVAILABLE)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["settlement", "address"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="dwelling_reference_unique_per_provider"),
            models.CheckConstraint(condition=Q(rooms__gte=1), name="dwelling_has_rooms"),
            models.CheckConstraint(condition=Q(useful_area__gt=0), name="dwelling_area_positive"),
        ]

    def __str__(self):
        return self.address


class DeclineRule(models.TextChoices):
    """What declining an offer means for the place (configurable per round)."""

    KEEP_PLACE = "keep_place", _("The person keeps their place")
    REMOVE_AFTER_SECOND = "remove_after_second", _("A second unjustified decline leads to a removal proposal")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft: dwellings and shares")
    PROPOSED = "proposed", _("Proposal computed: skips to approve, offers to send")
    OFFERING = "offering", _("Offers sent: waiting for answers")
    DECIDED = "decided", _("Decisions signed")
    CLOSED = "closed", _("Closed")


class AllocationRound(models.Model):
    provider = models.ForeignKey("accounts.Provider", on_delete=models.PROTECT, related_name="allocation_rounds")
    name = models.CharField(_("Name"), max_length=100)
    status = models.CharField(max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    # space norm (DOMAIN.md §7: 15–18 m² per person, not less than a one-room flat; confirm in the Law)
    norm_min_m2_per_person = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("15"))
    norm_max_m2_per_person = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("18"))
    offer_days = models.PositiveSmallIntegerField(_("Days to answer an offer"), default=10)
    decline_rule = models.CharField(max_length=32, choices=DeclineRule.choices, default=DeclineRule.KEEP_PLACE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dwellings = models.ManyToManyField(Dwelling, through="RoundDwelling", related_name="rounds")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(norm_min_m2_per_person__gt=0), name="round_norm_min_positive"),
            models.CheckConstraint(condition=Q(norm_max_m2_per_person__gte=F("norm_min_m2_per_person")),
                                   name="round_norm_max_not_below_min"),
        ]

    def __str__(self):
        return self.name


class RoundShare(models.Model):
    """The share of a round's dwellings that goes to one list (at least 70% to preferential lists in 2025 practice)."""

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="shares")
    queue_list = models.ForeignKey("queues.QueueList", on_delete=models.PROTECT, related_name="+")
    percent = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "queue_list"], name="round_share_once_per_list"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="round_share_at_most_100"),
        ]


class RoundDwelling(models.Model):
    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="round_dwellings")
    dwelling = models.ForeignKey(Dwelling, on_delete=models.PROTECT, related_name="round_links")
    queue_list = models.ForeignKey("queues.QueueList", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "dwelling"], name="round_dwelling_once")]


class OfferStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed, not yet sent")
    OFFERED = "offered", _("Offered, waiting for the answer")
    ACCEPTED = "accepted", _("Accepted by the person")
    DECLINED = "declined", _("Declined by the person")
    EXPIRED = "expired", _("No answer in time")
    DECIDED = "decided", _("Decision signed")
    CANCELLED = "cancelled", _("Cancelled")


LIVE_OFFER_STATUSES = ["proposed", "offered", "accepted", "decided"]


class Offer(models.Model):
    """A dwelling proposed to the first fitting person in queue order."""

    round = models.ForeignKey(AllocationRound, on_delete=models.PROTECT, related_name="offers")
    dwelling = models.ForeignKey(Dwelling, on_delete=models.PROTECT, related_name="offers")
    entry = models.ForeignKey("queues.QueueEntry", on_delete=models.PROTECT, related_name="offers")
    number_at_offer = models.PositiveIntegerField()  # the person's queue number when proposed
    family_size = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.PROPOSED)
    offered_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_via = models.CharField(max_length=20, blank=True)  # cabinet | service_centre
    decline_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # who ran the proposal that made this offer, and who recorded the answer (the holder, or a ЦОН operator)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["round", "created_at"]
        constraints = [
            # every dwelling to at most one person, every person at most one dwelling, at any moment
            models.UniqueConstraint(fields=["dwelling"], condition=Q(status__in=LIVE_OFFER_STATUSES),
                                    name="one_live_offer_per_dwelling"),
            models.UniqueConstraint(fields=["entry"], condition=Q(status__in=LIVE_OFFER_STATUSES),
                                    name="one_live_offer_per_person"),
        ]


class SkipReason(models.TextChoices):
    FAMILY_TOO_LARGE = "FAMILY_TOO_LARGE", _("Family too large for the dwelling under the space norm")
    NEEDS_NOT_MET = "NEEDS_NOT_MET", _("The dwelling does not meet the family's needs (e.g. accessibility)")
    NOT_ELIGIBLE = "NOT_ELIGIBLE", _("No longer eligible (removal proposed)")
    DECLINED = "DECLINED", _("Declined the offer")
    UNREACHABLE = "UNREACHABLE", _("Unreachable after the notice period")


class Skip(models.Model):
    """Passing over someone ahead: never silent — reason, comment and a second approver (never the proposer)."""

    round = models.ForeignKey(AllocationRound, on_delete=models.PROTECT, related_name="skips")
    dwelling = models.ForeignKey(Dwelling, on_delete=models.PROTECT, related_name="skips")
    entry = models.ForeignKey("queues.QueueEntry", on_delete=models.PROTECT, related_name="skips")
    number_at_skip = models.PositiveIntegerField()
    reason = models.CharField(max_length=32, choices=SkipReason.choices)
    comment = models.TextField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    # the second person may instead reject the skip: the offer of that dwelling is cancelled and the proposal redone
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejected_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    # DECLINED / UNREACHABLE: the offer that was declined or left unanswered
    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="skips")
    # NOT_ELIGIBLE: the re-check run before the offer (its whole input and findings are kept on the case)
    eligibility_check = models.ForeignKey("applications.EligibilityCheck", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["round", "number_at_skip"]
        constraints = [
            models.UniqueConstraint(fields=["round", "dwelling", "entry"], condition=Q(rejected_at__isnull=True),
                                    name="skip_once_per_dwelling_and_person"),
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                                   name="skip_second_person_approves"),
            models.CheckConstraint(condition=Q(rejected_by__isnull=True) | ~Q(rejected_by=F("proposed_by")),
                                   name="skip_second_person_rejects"),
            models.CheckConstraint(condition=Q(approved_at__isnull=True) | Q(rejected_at__isnull=True),
                                   name="skip_approved_or_rejected_not_both"),
            models.CheckConstraint(condition=Q(approved_at__isnull=True) | Q(approved_by__isnull=False),
                                   name="skip_approval_has_approver"),
            models.CheckConstraint(condition=Q(rejected_at__isnull=True) | Q(rejected_by__isnull=False),
                                   name="skip_rejection_has_decider"),
            models.CheckConstraint(condition=~Q(comment=""), name="skip_has_comment"),
        ]

    @property
    def state(self) -> str:
        if self.approved_at:
            return "approved"
        return "rejected" if self.rejected_at else "proposed"


class AllocationDecision(models.Model):
    """The akimat's decision to provide housing (тұрғын үй беру туралы шешім), signed by the head."""

    offer = models.OneToOneField(Offer, on_delete=models.PROTECT, related_name="decision")
    legal_basis = models.CharField(_("Legal basis"), max_length=255)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(auto_now_add=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    document = models.OneToOneField("documents.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(signed_at__isnull=True) | Q(document__isnull=False, signed_by__isnull=False),
                                   name="signed_decision_has_document"),
        ]
