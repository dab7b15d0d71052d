from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Personal data (issue 8): a citizen's export of everything held about them, and retention of closed cases."""

    name = "privacy"
