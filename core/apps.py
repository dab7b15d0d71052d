from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Small shared machinery: sequences, translated names, health check."""

    name = "core"
