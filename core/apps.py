from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Small shared machinery: sequences, translated names, health check."""

    name = "core"

    def ready(self):
        from .reference import watch_reference_tables

        watch_reference_tables()
