"""The citizen's view of allocation: offers in the cabinet, and offers and skips on the application's page."""

from django import template

from ..models import OfferStatus
from ..selectors import holder_offers, holder_skips

register = template.Library()


@register.inclusion_tag("allocation/_cabinet_offers.html", takes_context=True)
def allocation_offers(context):
    """Open offers first: the holder answers them here (cabinet/offers/<id>/)."""
    user = context.get("user")
    if not _may_have_offers(user):
        return {"offers": []}  # most cabinets: not even the SQL of the (wide) offer query is built
    offers = list(holder_offers(user).filter(status__in=[OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECIDED])[:10])
    return {"offers": offers}


def _may_have_offers(user) -> bool:
    from accounts.access import citizen_places
    from accounts.models import Role

    return bool(user and user.is_authenticated and user.role == Role.APPLICANT and user.iin
                and citizen_places(user).entries_with_offers)


@register.inclusion_tag("allocation/_case_allocation.html", takes_context=True)
def allocation_history(context, case):
    """On the application's page: the offers made to this place and the approved skips with reason and comment."""
    user = context.get("user")
    return {
        "offers": list(holder_offers(user).filter(entry__application=case)[:20]),
        "skips": list(holder_skips(user, case)[:50]),
    }
