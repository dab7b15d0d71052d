from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class VerifyUploadForm(forms.Form):
    pdf = forms.FileField(label=_("PDF file"), help_text=_("The file is checked here and not kept."))

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > settings.KEZEK_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class SignDecisionForm(forms.Form):
    """The head's "sign" action: the signing session and what the head's device produced (all hidden)."""

    eds_session = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    eds_signature_value = forms.CharField(required=False, max_length=4096, widget=forms.HiddenInput)
    eds_cms = forms.CharField(required=False, max_length=131072, widget=forms.HiddenInput)
    eds_method = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
