from django.apps import AppConfig


class AllocationConfig(AppConfig):
    """Housing stock, allocation rounds in queue order, offers, recorded skips and the akimat's decision."""

    name = "allocation"

    def ready(self):
        from . import handlers  # noqa: F401  (outbox handlers: notices, the next proposal after a decline)
