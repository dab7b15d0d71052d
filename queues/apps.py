from django.apps import AppConfig


class QueuesConfig(AppConfig):
    """Queue lists per provider, settlement, fund and category group."""

    name = "queues"
