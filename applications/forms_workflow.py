"""Forms of the department's case actions; services do the work and the checks that need the case."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from eligibility.grounds import GROUND_CODES

from .grounds_text import GROUND_TITLES
from .models import ComplaintSubject, DecisionKind, DocumentType

GROUND_CHOICES = [(str(code), GROUND_TITLES[str(code)]) for code in GROUND_CODES if str(code) != "INCOMPLETE_PACKAGE"]


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class EmptyForm(forms.Form):
    pass


class AssignForm(forms.Form):
    executor = forms.ModelChoiceField(label=_("Executor"), queryset=User.objects.none(), empty_label=None)
    reason = forms.CharField(label=_("Reason (required when reassigning)"), required=False, max_length=1000)

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["executor"].queryset = User.objects.filter(role=Role.EXECUTOR, provider=provider, is_active=True).order_by("last_name")
        self.fields["executor"].label_from_instance = lambda user: user.display_name


class DocumentListForm(forms.Form):
    document_types = forms.ModelMultipleChoiceField(
        label=_("Documents"), queryset=DocumentType.objects.for_intake(), widget=forms.CheckboxSelectMultiple
    )
    comment = forms.CharField(label=_("Comment for the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class GroundsForm(forms.Form):
    grounds = forms.MultipleChoiceField(label=_("Refusal grounds"), choices=GROUND_CHOICES, widget=forms.CheckboxSelectMultiple)
    reasoning = forms.CharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    override_reason = forms.CharField(
        label=_("Reason for departing from the eligibility check (only if your grounds differ)"),
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )


class PreliminaryRefusalForm(GroundsForm):
    hearing_at = forms.DateTimeField(
        label=_("Hearing date and time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("Place or link"), max_length=255)

    def clean_hearing_at(self):
        value = self.cleaned_data["hearing_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class HearingRecordForm(forms.Form):
    attended = forms.TypedChoiceField(
        label=_("Did the applicant attend?"), choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes", widget=forms.RadioSelect,
    )
    position = forms.CharField(label=_("The applicant's position"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    objection = forms.FileField(label=_("Written objections (PDF, JPEG or PNG)"), required=False)


class DraftDecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices, widget=forms.RadioSelect)
    grounds = forms.MultipleChoiceField(label=_("Refusal grounds"), choices=GROUND_CHOICES, widget=forms.CheckboxSelectMultiple, required=False)
    reasoning = forms.CharField(label=_("Reasoning"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    override_reason = forms.CharField(
        label=_("Reason for departing from the eligibility check (only if your decision differs)"),
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=1000)
    confirm = forms.BooleanField(label=_("I understand that my application will be closed and my place in the queue released."))


class ComplaintForm(forms.Form):
    subject = forms.ChoiceField(label=_("What is the complaint about?"), choices=ComplaintSubject.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)


class ComplaintAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    upheld = forms.BooleanField(label=_("The complaint is upheld"), required=False)
    settled = forms.BooleanField(label=_("The department has put it right itself (settled)"), required=False)


class ComplaintAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            provider=provider, is_active=True, role__in=[Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR]
        ).order_by("last_name")
        self.fields["assignee"].label_from_instance = lambda user: f"{user.display_name} ({user.get_role_display()})"
