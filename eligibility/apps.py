from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    """Rules engine and state-system adapters; holds no models of its own."""

    name = "eligibility"
