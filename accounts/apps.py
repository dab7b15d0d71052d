from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, providers (departments), ЦОН branches and the access policy."""

    name = "accounts"
