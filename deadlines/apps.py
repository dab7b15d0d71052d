from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    """Regulation profiles, the working-day calendar and due dates."""

    name = "deadlines"
