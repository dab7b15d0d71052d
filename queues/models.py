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
