"""Reading allocation: the staff's own department only, the holder's own offers, the branch's cases, the public register.

Anything outside the reader's scope is None (the views answer 404: we never confirm that it exists).
"""

from django.db.models import Count, Prefetch, Q

from accounts.access import citizen_places, visible_applications
from accounts.models import Role

from .models import (
    LIVE_OFFER_STATUSES, AllocationDecision, AllocationRound, Dwelling, Offer, OfferStatus, RoundDwelling, RoundStatus,
    Skip,
)


def _staff_provider(user):
    return getattr(user, "provider_id", None) if user and user.is_authenticated else None


def rounds_for(user):
    return (AllocationRound.objects.filter(provider_id=_staff_provider(user))
            .annotate(n_dwellings=Count("round_dwellings", distinct=True)).order_by("-created_at"))


def round_for(user, pk) -> AllocationRound | None:
    return AllocationRound.objects.filter(pk=pk, provider_id=_staff_provider(user)).select_related("created_by").first()


def dwellings_for(user, status: str = ""):
    qs = Dwelling.objects.filter(provider_id=_staff_provider(user)).select_related("settlement").order_by("status", "settlement", "address")
    return qs.filter(status=status) if status else qs


def dwelling_for(user, pk) -> Dwelling | None:
    return Dwelling.objects.filter(pk=pk, provider_id=_staff_provider(user)).first()


def skip_for(user, pk) -> Skip | None:
    return Skip.objects.filter(pk=pk, round__provider_id=_staff_provider(user)).select_related("round").first()


def offer_for_staff(user, pk) -> Offer | None:
    return (Offer.objects.filter(pk=pk, round__provider_id=_staff_provider(user))
            .select_related("round", "dwelling", "entry__application", "entry__holder").first())


def decision_for(user, pk) -> AllocationDecision | None:
    return (AllocationDecision.objects.filter(pk=pk, offer__round__provider_id=_staff_provider(user))
            .select_related("offer__round", "offer__dwelling__settlement", "offer__entry__application__provider",
                            "offer__entry__holder", "offer__entry__queue_list", "drafted_by", "signed_by", "document")
            .first())


def round_page(round_) -> dict:
    """Everything the round page shows, in a fixed number of queries."""
    links = list(RoundDwelling.objects.filter(round=round_).select_related("dwelling__settlement", "queue_list")
                 .order_by("dwelling__address"))
    offers = list(Offer.objects.filter(round=round_).select_related(
        "dwelling", "entry__application", "entry__queue_list", "responded_by", "proposed_by")
        .prefetch_related(Prefetch("decision", queryset=AllocationDecision.objects.select_related("document")))
        .order_by("dwelling__address", "created_at"))
    live = {o.dwelling_id: o for o in offers if o.status in LIVE_OFFER_STATUSES}
    skips = list(Skip.objects.filter(round=round_).select_related(
        "dwelling", "entry__application", "proposed_by", "approved_by", "rejected_by").order_by("dwelling__address", "number_at_skip"))
    decisions = [o.decision for o in offers if hasattr(o, "decision")]
    return {
        "links": [(link, live.get(link.dwelling_id)) for link in links],
        "offers": offers,
        "waiting_skips": [s for s in skips if s.state == "proposed"],
        "decided_skips": [s for s in skips if s.state != "proposed"],
        "decisions": decisions,
    }


def holder_offers(user):
    """Offers to places the user holds (by IIN), newest first — the cabinet's list."""
    if not (user and user.is_authenticated and user.role == Role.APPLICANT and user.iin):
        return Offer.objects.none()
    # entries_with_offers is empty for most people: then Django answers without a query
    return (Offer.objects.filter(entry_id__in=citizen_places(user).entries_with_offers)
            .exclude(status__in=[OfferStatus.PROPOSED, OfferStatus.CANCELLED])
            .select_related("dwelling__settlement", "entry__application", "round").order_by("-created_at"))


def holder_offer(user, pk) -> Offer | None:
    return holder_offers(user).filter(pk=pk).first()


def holder_skips(user, application=None):
    """Approved skips of the user's own places: what the skipped person sees (reason and comment)."""
    if not (user and user.is_authenticated and user.role == Role.APPLICANT and user.iin):
        return Skip.objects.none()
    qs = Skip.objects.filter(entry_id__in=citizen_places(user).entry_ids, approved_at__isnull=False)
    if application is not None:
        qs = qs.filter(entry__application=application)
    return qs.select_related("dwelling", "round", "entry__application").order_by("-approved_at")


def centre_offers(user):
    """Offers waiting for an answer on cases the operator's branch entered."""
    if not (user and user.is_authenticated and user.role == Role.OPERATOR):
        return Offer.objects.none()
    cases = visible_applications(user).values("pk")
    return (Offer.objects.filter(entry__application__in=cases)
            .exclude(status__in=[OfferStatus.PROPOSED, OfferStatus.CANCELLED])
            .select_related("dwelling", "entry__application", "entry__holder").order_by("status", "respond_by"))


def centre_offer(user, pk) -> Offer | None:
    return centre_offers(user).filter(pk=pk).first()


# --- the public register of skips -----------------------------------------------------------------------------------

PUBLIC_STATUSES = (RoundStatus.PROPOSED, RoundStatus.OFFERING, RoundStatus.DECIDED, RoundStatus.CLOSED)


def public_rounds():
    return (AllocationRound.objects.filter(status__in=PUBLIC_STATUSES).select_related("provider")
            .annotate(n_skips=Count("skips", filter=Q(skips__approved_at__isnull=False), distinct=True),
                      n_decided=Count("offers", filter=Q(offers__status=OfferStatus.DECIDED), distinct=True))
            .order_by("-created_at"))


def public_round(pk):
    return public_rounds().filter(pk=pk).first()


def public_register(round_, language: str = "kk") -> dict:
    """Only public facts: numbers, reasons, dates, dwelling sizes — never a name, an IIN, an address or a comment."""
    skips = list(Skip.objects.filter(round=round_, approved_at__isnull=False)
                 .values("number_at_skip", "reason", "approved_at", "dwelling_id", "entry__queue_list__name_kk",
                         "entry__queue_list__name_ru", "entry__queue_list__name_en")
                 .order_by("dwelling_id", "number_at_skip"))
    results = list(Offer.objects.filter(round=round_, status__in=[OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.DECIDED])
                   .values("dwelling_id", "number_at_offer", "family_size", "status", "dwelling__rooms",
                           "dwelling__useful_area", "dwelling__settlement__name_kk", "dwelling__settlement__name_ru",
                           "dwelling__settlement__name_en", "decision__signed_at", "entry__queue_list__name_kk",
                           "entry__queue_list__name_ru", "entry__queue_list__name_en")
                   .order_by("entry__queue_list__name_kk", "number_at_offer"))
    labels = {}
    for row in results:
        labels[row["dwelling_id"]] = len(labels) + 1  # dwellings are numbered, not addressed
    lang = language if language in ("kk", "ru", "en") else "kk"
    for row in skips:
        row["dwelling_no"] = labels.get(row["dwelling_id"])
        row["list_name"] = row[f"entry__queue_list__name_{lang}"] or row["entry__queue_list__name_kk"]
    for row in results:
        row["dwelling_no"] = labels[row["dwelling_id"]]
        row["list_name"] = row[f"entry__queue_list__name_{lang}"] or row["entry__queue_list__name_kk"]
        row["settlement"] = row[f"dwelling__settlement__name_{lang}"] or row["dwelling__settlement__name_kk"]
    return {"skips": skips, "results": results}
