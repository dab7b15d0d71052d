"""The citizen cabinet's reminder of inventory findings waiting for the holder's answer."""

from django import template
from django.utils import timezone

from ..models import CampaignStatus, FindingStatus, InventoryFinding

register = template.Library()


@register.inclusion_tag("queues/inventory/_cabinet_requests.html", takes_context=True)
def inventory_requests(context):
    user = context.get("user")
    if not (user and user.is_authenticated and user.iin):
        return {"findings": []}
    from accounts.access import citizen_places

    if not citizen_places(user).entries_with_findings:
        return {"findings": []}  # most cabinets, most of the year: no query built at all
    findings = (InventoryFinding.objects  # no query at all when no place the user holds has an open finding
                .filter(entry_id__in=citizen_places(user).entries_with_findings, status=FindingStatus.OPEN,
                        campaign__status__in=(CampaignStatus.RUNNING, CampaignStatus.REVIEW),
                        campaign__response_due__gte=timezone.localdate())
                .select_related("entry__application", "campaign").order_by("campaign__response_due", "pk"))
    return {"findings": list(findings[:20])}
