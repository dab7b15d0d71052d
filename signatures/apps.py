from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    """Electronic digital signatures (EDS): trust configuration, CMS verification, PAdES signing, /verify/."""

    name = "signatures"
