"""Forms of the regulation settings: a new profile version, a calendar exception."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .definition import DefinitionError, parse_definition_text, profile_from_definition
from .models import CalendarExceptionKind

MAX_DEFINITION_CHARS = 20000


class ProfileVersionForm(forms.Form):
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        help_text=_(
            "Steps and their limits (unit: minutes, calendar_days or working_days), the whole service's limit, "
            "working hours and lunch, whether after-hours applications count from the next working day, "
            "hearing-notice and complaint limits."
        ),
        widget=forms.Textarea(attrs={"rows": 28, "cols": 80, "spellcheck": "false", "class": "mono"}),
        max_length=MAX_DEFINITION_CHARS,
    )
    note = forms.CharField(
        label=_("Reason for the change"),
        help_text=_("For example the regulation or order that changed the limits."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )

    def __init__(self, *args, code: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.code = code

    def clean_definition(self):
        try:
            data = parse_definition_text(self.cleaned_data["definition"])
            self.cleaned_data["profile"] = profile_from_definition(self.code, data)
        except DefinitionError as exc:
            raise ValidationError(str(exc), code="invalid_definition") from None
        return data


class CalendarExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("The day becomes"), choices=CalendarExceptionKind.choices)
    reason = forms.CharField(label=_("Reason (decree)"), max_length=255)
