from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    """People, cases and their workflow; intake services; cabinets, workstation and inbox."""

    name = "applications"

    def ready(self):
        from . import notifications  # noqa: F401  (registers outbox handlers)
