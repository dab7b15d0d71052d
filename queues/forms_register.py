"""Forms of the staff register pages; the removal services check everything again and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import PhoneField
from applications.models import FamilyMember

from .models import RemovalGround, RestorationBasis

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]


class _ChangeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    legal_basis = forms.CharField(
        label=_("Legal basis"), max_length=255,
        help_text=_("The article of the law, or the court order or act with its number and date."),
    )
    document = forms.FileField(label=_("Supporting document (PDF, JPEG or PNG, up to 10 MB)"))
    effective_date = forms.DateField(label=_("Date"), widget=DATE_INPUT, input_formats=DATE_FORMATS,
                                     help_text=_("When the ground arose; not in the future."))


class SuccessorContacts(forms.Form):
    """Where the case's notices go once a family member continues it (the deceased's contacts are never used)."""

    successor_phone = PhoneField(label=_("Successor's mobile phone"), required=False,
                                 help_text=_("From the continuation on, the case's notices go to the successor."))
    successor_email = forms.EmailField(label=_("Successor's e-mail"), required=False)

    def clean(self):
        data = super().clean()
        if (data.get("successor_phone") or data.get("successor_email")) and not data.get("successor"):
            self.add_error("successor_phone", _("Contacts are given only for a family member who continues the case."))
        return data


class RemovalForm(_ChangeForm, SuccessorContacts):
    ground = forms.ChoiceField(label=_("Ground (Law on housing relations, art. 73)"),
                               choices=[("", "—")] + list(RemovalGround.choices))
    successor = forms.ModelChoiceField(
        label=_("Family member who continues the case (death only)"), required=False,
        queryset=FamilyMember.objects.none(), empty_label=_("Nobody: the place is closed"),
        help_text=_("On the death of the person the place is kept for a family member who continues the case."),
    )
    field_order = ["ground", "successor", "successor_phone", "successor_email", "reason", "legal_basis", "document",
                   "effective_date"]

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        if application is not None:
            self.fields["successor"].queryset = FamilyMember.objects.filter(application=application).order_by("pk")
        self.fields["successor"].label_from_instance = lambda m: f"{m.full_name} ({m.get_relation_display()})"

    def clean(self):
        data = super().clean()
        if data.get("successor") and data.get("ground") != RemovalGround.DEATH:
            self.add_error("successor", _("A family member continues the case only after the death of the person."))
        return data


class RestorationForm(_ChangeForm):
    basis = forms.ChoiceField(label=_("Basis"), choices=[("", "—")] + list(RestorationBasis.choices))
    field_order = ["basis", "reason", "legal_basis", "document", "effective_date"]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment (required to reject)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Write why the request is rejected."))
        return data


class FindApplicationForm(forms.Form):
    number = forms.CharField(label=_("Application number"), max_length=32)
