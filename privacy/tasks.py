from celery import shared_task


@shared_task(name="privacy.apply_retention")
def apply_retention() -> dict:
    """Beat job (daily): erase personal data of refused and withdrawn cases past their retention period."""
    from .services.retention import apply_retention as run

    return run().as_dict()
