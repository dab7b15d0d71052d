from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    """Regulation profiles, the working-day calendar, due dates and their enforcement."""

    name = "deadlines"

    def ready(self):
        from . import handlers  # noqa: F401  (registers the outbox handler for alert e-mails)
        from .services import connect_signals

        connect_signals()
