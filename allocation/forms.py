"""Forms of the allocation pages: they parse input; the services (allocation/services/) check again and decide."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Settlement
from queues.models import QueueList

from .models import DeclineRule, Dwelling, DwellingStatus


class DwellingForm(forms.ModelForm):
    class Meta:
        model = Dwelling
        fields = ["settlement", "fund", "reference", "address", "rooms", "useful_area", "floor", "wheelchair_accessible",
                  "has_lift", "accessibility_notes", "condition"]

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["settlement"].queryset = Settlement.objects.filter(provider=provider).order_by("code")
        self.fields["settlement"].label = _("Settlement")
        self.fields["useful_area"].max_value = Decimal("1000")
        self.fields["rooms"].widget.attrs.update(min=1, max=20)
        self.fields["floor"].widget.attrs.update(min=-3, max=200)

    def validate_unique(self):
        """The service checks the reference (unique per department) and answers with a clear message."""


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("UTF-8, comma or semicolon separated, with the header row."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.KEZEK_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For example: Round 2026-2, Abay district."))
    norm_min = forms.DecimalField(label=_("Space norm: at least, m² per person"), initial=Decimal("15"),
                                  max_digits=5, decimal_places=2, min_value=Decimal("1"), max_value=Decimal("100"))
    norm_max = forms.DecimalField(label=_("Space norm: up to, m² per person"), initial=Decimal("18"),
                                  max_digits=5, decimal_places=2, min_value=Decimal("1"), max_value=Decimal("100"),
                                  help_text=_("Shown to staff; a larger dwelling is never a reason to pass anyone over."))
    offer_days = forms.IntegerField(label=_("Days to answer an offer"), initial=10, min_value=1, max_value=90)
    decline_rule = forms.ChoiceField(label=_("What a declined offer means for the place"), choices=DeclineRule.choices,
                                     initial=DeclineRule.KEEP_PLACE)


class AddDwellingsForm(forms.Form):
    dwellings = forms.ModelMultipleChoiceField(label=_("Available dwellings"), queryset=Dwelling.objects.none(),
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwellings"].queryset = (Dwelling.objects.filter(provider=provider, status=DwellingStatus.AVAILABLE)
                                             .select_related("settlement").order_by("settlement", "address"))
        self.fields["dwellings"].label_from_instance = lambda d: (
            f"{d.address} · {d.rooms} · {d.useful_area} m² · {d.get_fund_display()}")


class SharesForm(forms.Form):
    """One whole percentage per active list of the department; they must add up to 100."""

    def __init__(self, *args, provider=None, initial_shares=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lists = list(QueueList.objects.filter(provider=provider, is_active=True).select_related("settlement")
                          .order_by("ordering", "code"))
        initial_shares = initial_shares or {}
        for queue_list in self.lists:
            self.fields[f"list_{queue_list.pk}"] = forms.IntegerField(
                label=f"{queue_list.name} · {queue_list.settlement.name} · {queue_list.get_fund_display()}",
                min_value=0, max_value=100, required=False, initial=initial_shares.get(queue_list.pk, 0))

    def shares(self) -> dict:
        return {ql.pk: self.cleaned_data.get(f"list_{ql.pk}") or 0 for ql in self.lists}


class SkipDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("Required when rejecting: what must be corrected."))


class DraftDecisionForm(forms.Form):
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=255,
                                  help_text=_("The article of the law and the akimat's resolution with its number and date."))


ANSWERS = [("accept", _("I accept the dwelling")), ("decline", _("I decline the dwelling"))]


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Your answer"), choices=ANSWERS, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason for declining"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Required if you decline. It is recorded and seen by the department."))

    def clean(self):
        data = super().clean()
        if data.get("answer") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for declining."))
        return data


class CentreAnswerForm(AnswerForm):
    answer = forms.ChoiceField(label=_("The person's answer"), choices=[("accept", _("Accepts the dwelling")),
                                                                        ("decline", _("Declines the dwelling"))],
                               widget=forms.RadioSelect)
    identity_checked = forms.BooleanField(
        label=_("I checked the person's identity document and they signed the written answer"))
