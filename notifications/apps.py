from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Messages to applicants: personal cabinet, e-mail and SMS (gateway adapter with a simulator)."""

    name = "notifications"
