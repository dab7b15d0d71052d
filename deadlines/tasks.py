from celery import shared_task


@shared_task(name="deadlines.enforce")
def enforce() -> dict:
    """Beat job (every 5 minutes): mark steps due soon and overdue, alert, record breaches."""
    from .enforcement import enforce_deadlines

    return enforce_deadlines().as_dict()
