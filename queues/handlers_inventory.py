"""Outbox handlers of the annual inventory: the background check, and the one notice per person.

The check runs one batch per outbox message: the message is marked delivered in the same transaction as the
batch and its resume point, then the next batch's message is written. A lost worker leaves the message
pending and the relay delivers it again; a long campaign never holds one long transaction. Without a broker
(Celery eager: tests, a laptop without Redis) the rest of the check runs right after the first batch commits,
still one transaction per batch.
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from audit.relay import handler
from audit.services import enqueue
from notifications.services import notify_applicant

from .models import CampaignStatus, InventoryCampaign, InventoryFinding
from .services import inventory

log = logging.getLogger(__name__)


@handler(inventory.RUN_TOPIC)
def run_inventory(campaign_id: int, after: int = 0) -> None:
    campaign = inventory.run_batch(campaign_id)
    if campaign.status != CampaignStatus.RUNNING:
        return
    if inventory.eager():
        transaction.on_commit(lambda: _run_rest(campaign_id))
    else:
        enqueue(inventory.RUN_TOPIC, {"campaign_id": campaign_id, "after": campaign.last_entry_id},
                dedupe_key=f"{inventory.RUN_TOPIC}:{campaign_id}:{campaign.last_entry_id}")


def _run_rest(campaign_id: int) -> None:
    try:
        inventory.run_campaign(campaign_id)
    except Exception:  # the campaign keeps its resume point; an administrator resumes it from its page
        log.exception("inventory %s stopped; resume it from the campaign page", campaign_id)


@handler(inventory.NOTIFY_TOPIC)
def inventory_notify(campaign_id: int, holder_id: int) -> None:
    """One message per person and campaign, listing every finding about their place(s)."""
    campaign = InventoryCampaign.objects.get(pk=campaign_id)
    findings = list(
        InventoryFinding.objects.filter(campaign_id=campaign_id, entry__holder_id=holder_id)
        .select_related("entry__application__applicant", "entry__queue_list__settlement").order_by("entry_id", "kind")
    )
    if not findings:
        return
    application = findings[0].entry.application
    with translation.override(application.language):
        items = [{"finding": f, "text": inventory.describe_finding(f),
                  "url": reverse("queues_inventory:answer", args=[f.pk])} for f in findings]
    notify_applicant(application, inventory.NOTIFICATION_KIND,
                     {"campaign": campaign, "findings": items, "deadline": campaign.response_due},
                     reference=f"inventory:{campaign_id}")
