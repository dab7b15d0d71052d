"""Celery beat job for allocation (CELERY_BEAT_SCHEDULE in housing_queue/settings/base.py)."""

from celery import shared_task


@shared_task(name="allocation.expire_offers")
def expire_offers() -> int:
    """Offers left unanswered past their time lapse; the next person in order is proposed (UNREACHABLE skip)."""
    from .services.offers import expire_offers as run

    return run()
