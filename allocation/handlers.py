"""Outbox handlers for allocation: what the person hears, and the next proposal after a decline or no answer.

Notifications go through notifications.notify_applicant (cabinet always, e-mail and SMS when given); its unique key
(case, kind, channel, reference) makes a re-delivered message send nothing twice.
"""

import logging

from django.utils import timezone

from applications.services.errors import ServiceError
from audit.relay import handler
from notifications.services import notify_applicant

from .models import AllocationDecision, Offer, Skip, SkipReason

logger = logging.getLogger(__name__)


@handler("allocation.notify_offer")
def notify_offer(offer_id: int) -> None:
    offer = Offer.objects.select_related("entry__application__applicant", "dwelling__settlement").get(pk=offer_id)
    notify_applicant(offer.entry.application, "allocation_offer",
                     {"offer": offer, "dwelling": offer.dwelling, "respond_by": timezone.localtime(offer.respond_by)},
                     reference=f"offer:{offer.pk}")


@handler("allocation.notify_skip")
def notify_skip(skip_id: int) -> None:
    skip = Skip.objects.select_related("entry__application__applicant", "dwelling").get(pk=skip_id)
    notify_applicant(skip.entry.application, "allocation_skip",
                     {"skip": skip, "reason_label": SkipReason(skip.reason).label}, reference=f"skip:{skip.pk}")


@handler("allocation.notify_housed")
def notify_housed(decision_id: int) -> None:
    decision = AllocationDecision.objects.select_related("offer__entry__application__applicant", "offer__dwelling",
                                                        "document").get(pk=decision_id)
    notify_applicant(decision.offer.entry.application, "allocation_housed",
                     {"decision": decision, "dwelling": decision.offer.dwelling, "document": decision.document},
                     reference=f"decision:{decision.pk}")


@handler("allocation.repropose")
def repropose(round_id: int, dwelling_id: int) -> None:
    """The next person in order for a dwelling that was declined or not answered. If the state systems do not answer
    the message stays pending and the relay retries; any other refusal (the round closed meanwhile, nobody fits) is
    shown on the round page, where staff can compute the proposal again."""
    from .services.rounds import StateSystemDown, repropose_dwelling

    try:
        repropose_dwelling(round_id, dwelling_id)
    except StateSystemDown:
        raise
    except ServiceError as exc:
        logger.info("allocation.repropose round %s dwelling %s: %s", round_id, dwelling_id, exc)
