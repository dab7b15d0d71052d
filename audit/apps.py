from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Append-only audit events and the transactional outbox."""

    name = "audit"
