from django import forms
from django.utils.translation import gettext_lazy as _


class ExportForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that the file contains my personal data and I will keep it safe."),
        error_messages={"required": _("Please confirm that you understand what the file contains.")},
    )
