from django.apps import AppConfig


class QueuesConfig(AppConfig):
    """Queue lists per provider, settlement, fund and category group."""

    name = "queues"

    def ready(self):
        from . import handlers  # noqa: F401  (outbox handlers: publishing lists)
        from . import handlers_register  # noqa: F401  (outbox handlers: removal, restoration notices)
        from . import handlers_inventory  # noqa: F401  (outbox handlers: the inventory check and its notices)
