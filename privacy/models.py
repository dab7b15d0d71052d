"""What the retention job did: one row per run and one marker per case whose personal data it erased."""

from django.db import models


class RetentionRun(models.Model):
    """One pass of `apply_retention` with the periods it applied, so a later reader knows which rule erased what."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(help_text="The moment the periods were counted back from")
    refused_days = models.PositiveIntegerField()
    withdrawn_days = models.PositiveIntegerField()
    # empty for runs made before returned cases were covered
    returned_days = models.PositiveIntegerField(null=True, blank=True)
    cases = models.PositiveIntegerField(default=0)
    attachments = models.PositiveIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)
    family_members = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]


class ErasedCase(models.Model):
    """Marker: this closed case's personal data was erased (once; the case skeleton and the logs stay)."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="personal_data_erasure"
    )
    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="erased_cases")
    erased_at = models.DateTimeField()
    state = models.CharField(max_length=24, help_text="The final state the period was counted for")
    final_at = models.DateTimeField(help_text="When the case reached that state")
    summary = models.JSONField(default=dict, help_text="What was removed: counts and document type codes")

    class Meta:
        ordering = ["-erased_at", "-id"]
