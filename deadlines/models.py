"""Regulation profiles as versioned data, the decreed calendar, and the deadline ledger with its alerts."""

from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .profiles import Profile
from .steps import TRACKED_STEPS


class ImmutableRow(Exception):
    pass


class RegulationProfileVersion(models.Model):
    """One published version of a regulation profile; rows are never changed or deleted.

    ``provider`` is empty for the built-in versions (seeded from ``deadlines.profiles``) and set for
    a department's own versions. The current version for a provider and code is the provider's latest,
    else the latest built-in one. A case keeps the version it was accepted under
    (``Application.profile_version``).
    """

    provider = models.ForeignKey(
        "accounts.Provider", null=True, blank=True, on_delete=models.PROTECT, related_name="profile_versions"
    )
    code = models.CharField(_("Profile"), max_length=32)
    version = models.PositiveIntegerField(_("Version"))
    definition = models.JSONField(_("Definition"))
    note = models.TextField(_("Reason for the change"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("Published at"), auto_now_add=True)

    class Meta:
        ordering = ["code", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "code", "version"], condition=Q(provider__isnull=False),
                name="profile_version_unique_per_provider",
            ),
            models.UniqueConstraint(
                fields=["code", "version"], condition=Q(provider__isnull=True), name="profile_version_unique_builtin"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="profile_version_from_1"),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}" + (f" ({self.provider.code})" if self.provider_id else "")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRow("a published profile version is never changed; publish a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRow("a published profile version is never deleted")

    @cached_property
    def profile(self) -> Profile:
        from .definition import profile_from_definition

        return profile_from_definition(self.code, self.definition)

    @property
    def is_builtin(self) -> bool:
        return self.provider_id is None


class CalendarExceptionKind(models.TextChoices):
    DAY_OFF = "day_off", _("Day off")
    WORKING_DAY = "working_day", _("Working day")


class CalendarException(models.Model):
    """A government-decreed transfer or extra day off the holidays package does not know (national)."""

    date = models.DateField(_("Date"), unique=True)
    kind = models.CharField(_("Kind"), max_length=16, choices=CalendarExceptionKind.choices)
    reason = models.CharField(_("Reason (decree)"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"{self.date} {self.kind}"


STEP_CHOICES = [(code, code) for code in TRACKED_STEPS]


class StepDeadline(models.Model):
    """The enforcement ledger: one row per step instance of a case (deadlines.steps), written by the job.

    ``(application, step, started_at)`` is unique, so running the job twice or concurrently records a
    step once. ``breached_at`` is set once, when the job first finds the step late (a breach).
    """

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="step_deadlines")
    step = models.CharField(max_length=16, choices=STEP_CHOICES)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)  # done, or abandoned by a withdrawal
    due_soon_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application_id", "started_at", "step"]
        constraints = [
            models.UniqueConstraint(fields=["application", "step", "started_at"], name="step_deadline_once"),
        ]
        indexes = [
            models.Index(fields=["application"], condition=Q(ended_at__isnull=True), name="step_deadline_open_idx"),
        ]

    def __str__(self):
        return f"{self.application_id} {self.step} due {self.due_at:%Y-%m-%d %H:%M}"


class AlertKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class DeadlineAlert(models.Model):
    """A reminder to one staff member about one step instance; at most one per kind and person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deadline_alerts")
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="deadline_alerts")
    deadline = models.ForeignKey(StepDeadline, on_delete=models.CASCADE, related_name="alerts")
    step = models.CharField(max_length=16, choices=STEP_CHOICES)
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "kind", "user"], name="deadline_alert_once"),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], condition=Q(read_at__isnull=True), name="deadline_alert_unread_idx"),
        ]

    def clean(self):
        if self.deadline_id and self.application_id and self.deadline.application_id != self.application_id:
            raise ValidationError("alert and deadline belong to different cases")
