from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Documents the system issues (receipts, notifications, decisions) and their PDF rendering."""

    name = "documents"

    def ready(self):
        from . import handlers  # noqa: F401
