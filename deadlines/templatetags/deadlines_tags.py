from django import template
from django.db.models import Count, Window

from accounts.access import has_ability

from ..definition import definition_to_text
from ..labels import step_label
from ..models import DeadlineAlert

register = template.Library()


@register.simple_tag(takes_context=True)
def deadline_alerts_box(context, limit: int = 5) -> dict:
    """The signed-in user's latest unread alerts and their total, in one query (the window counts them all)."""
    user = context["request"].user
    alerts = list(
        DeadlineAlert.objects.filter(user=user, read_at__isnull=True)
        .select_related("application")
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")[:limit]
    )
    return {
        "alerts": alerts,
        "total": alerts[0].total if alerts else 0,
        "dashboard": has_ability(user, "view_deadline_dashboards"),
        "settings": has_ability(user, "view_regulation_settings"),
    }


@register.filter
def deadline_step(code: str) -> str:
    return step_label(code)


@register.filter
def definition_json(definition) -> str:
    return definition_to_text(definition)
