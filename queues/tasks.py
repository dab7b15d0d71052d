"""Celery beat jobs for the published lists (CELERY_BEAT_SCHEDULE in housing_queue/settings/base.py)."""

from celery import shared_task


@shared_task(name="queues.publish_monthly")
def publish_monthly() -> int:
    """1st of every month, 02:00 Asia/Almaty: a "YYYY-MM" snapshot of every active list (2025 national base)."""
    from .services.publication import enqueue_scheduled

    return enqueue_scheduled("monthly")


@shared_task(name="queues.publish_annual")
def publish_annual() -> int:
    """20 March, 03:00: the named "YYYY Q1" snapshot (yearly publication by the end of Q1, older regulations)."""
    from .services.publication import enqueue_scheduled

    return enqueue_scheduled("annual")


@shared_task(name="queues.resume_publications")
def resume_publications() -> int:
    """Finish snapshots left generating by a worker that died."""
    from .services.publication import resume_stalled

    return resume_stalled()
