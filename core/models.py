from django.db import models
from django.utils.translation import get_language


class SequenceCounter(models.Model):
    """Fallback counter for SQLite; PostgreSQL uses real sequences (see core.sequences)."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)


class TranslatedNameMixin(models.Model):
    """Reference data named in the three portal languages; `name` follows the active language."""

    name_kk = models.CharField(max_length=255)
    name_ru = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        lang = (get_language() or "kk")[:2]
        return getattr(self, f"name_{lang}", None) or self.name_kk

    def __str__(self) -> str:
        return self.name
