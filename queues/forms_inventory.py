"""Forms of the annual inventory: starting a campaign, filtering findings, deciding on one, the holder's answer."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.uploads import check_upload

from .forms_register import SuccessorContacts
from .models import FindingKind, FindingStatus, RemovalGround
from .services.inventory import ANSWER_CHANGED, ANSWER_CHOICES, LEGAL_BASIS, MAX_ANSWER_LENGTH, MAX_COMMENT_LENGTH

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignStartForm(forms.Form):
    year = forms.IntegerField(label=_("Year of the inventory"), min_value=2000, max_value=2100)
    response_due = forms.DateField(
        label=_("People answer by"), widget=DATE_WIDGET,
        help_text=_("Everyone the check finds something about is asked to confirm or update their data by this date."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class FindingFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), required=False, choices=[("", _("All"))] + FindingKind.choices)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + FindingStatus.choices)


class DismissForm(forms.Form):
    comment = forms.CharField(
        label=_("Why the place stays"), max_length=MAX_COMMENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the person showed a current address registration in the settlement."),
    )


def _checked(uploaded):
    if not uploaded:
        return None
    try:
        return check_upload(uploaded)
    except ValidationError as exc:
        raise ValidationError(exc.messages[0], code=exc.code) from None


class ProposeRemovalForm(SuccessorContacts):
    ground = forms.ChoiceField(label=_("Ground (Law art. 73)"), choices=RemovalGround.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                             help_text=_("What was established, with the finding and the person's answer."))
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=255)
    effective_date = forms.DateField(label=_("Date the ground arose"), widget=DATE_WIDGET)
    document = forms.FileField(label=_("Supporting document (PDF, JPEG or PNG)"),
                               help_text=_("For example the extract from the state database or the person's "
                                           "statement."))
    successor = forms.ChoiceField(
        label=_("Family member who continues the case (death only)"), required=False,
        help_text=_("On the death of the person the place is kept for a family member who continues the case."),
    )

    field_order = ["ground", "reason", "legal_basis", "effective_date", "document", "successor", "successor_phone",
                   "successor_email"]

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, **kwargs)
        from .services.inventory import SUGGESTED_GROUND

        suggested = SUGGESTED_GROUND.get(finding.kind)
        if suggested:
            self.fields["ground"].initial = suggested
        else:
            self.fields["ground"].choices = [("", _("Choose a ground"))] + RemovalGround.choices
        self.fields["legal_basis"].initial = str(LEGAL_BASIS)
        members = finding.entry.application.family_members.all()
        self.fields["successor"].choices = [("", _("Nobody: remove the place"))] + [
            (str(m.pk), f"{m.full_name} ({m.get_relation_display()})") for m in members]
        if finding.facts.get("died_on"):
            self.fields["effective_date"].initial = finding.facts["died_on"]

    def clean_document(self):
        return _checked(self.cleaned_data.get("document"))

    def clean(self):
        data = super().clean()
        if data.get("successor") and data.get("ground") != RemovalGround.DEATH:
            self.add_error("successor", _("A family member continues the case only after the death of the person."))
        return data


class AnswerForm(forms.Form):
    choice = forms.ChoiceField(label=_("Your answer"), choices=ANSWER_CHOICES, widget=forms.RadioSelect)
    answer = forms.CharField(
        label=_("What has changed, or anything you want to add"), required=False, max_length=MAX_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    document = forms.FileField(label=_("Document (PDF, JPEG or PNG)"), required=False,
                               help_text=_("For example a current address registration or a certificate of no "
                                           "housing."))

    def clean_document(self):
        return _checked(self.cleaned_data.get("document"))

    def clean(self):
        data = super().clean()
        if data.get("choice") == ANSWER_CHANGED and not (data.get("answer") or "").strip():
            self.add_error("answer", _("Describe what has changed."))
        return data
