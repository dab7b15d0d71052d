"""The public position lookup form: application number + IIN, nothing else."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class UnechoedTextInput(forms.TextInput):
    """A text box that never writes its value back into the page: the IIN is personal data (no echo in HTML)."""

    def format_value(self, value):
        return None


class LookupForm(forms.Form):
    number = forms.CharField(
        label=_("Application number"), max_length=32,
        help_text=_("As printed on your acceptance receipt or notification, e.g. ALMATY-2026-0000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    iin = forms.CharField(
        label=_("IIN"),
        help_text=_("The IIN of the person who holds the place in the queue (12 digits)."),
        validators=[RegexValidator(r"^[0-9]{12}$", _("The IIN is 12 digits."))],
        widget=UnechoedTextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "12"}),
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip().upper()

    def clean_iin(self):
        return self.cleaned_data["iin"].strip()
