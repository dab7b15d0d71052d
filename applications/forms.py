"""Forms parse and validate input; they never change state (services do)."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Settlement
from core.reference import remember
from eligibility.iin import InvalidIIN, parse_iin
from queues.models import Fund

from .models import Category, ConsentKind, DocumentType, FamilyRelation
from .services.people import iin_error_message

PHONE_RE = re.compile(r"^\+7\d{10}$")


def clean_iin_value(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    try:
        parse_iin(value)
    except InvalidIIN as exc:
        raise ValidationError(iin_error_message(exc), code="invalid_iin") from None
    return value


def clean_phone_value(value: str) -> str:
    digits = re.sub(r"[\s()\-]", "", value or "")
    if digits.startswith("8") and len(digits) == 11:
        digits = "+7" + digits[1:]
    if not PHONE_RE.match(digits):
        raise ValidationError(_("Enter a Kazakhstan mobile number: +7 and 10 digits."), code="phone")
    return digits


class IinField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("IIN"))
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("help_text", _("12 digits"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off", "pattern": r"[0-9 ]{12,14}"})

    def clean(self, value):
        return clean_iin_value(super().clean(value))


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("For example +77011234567"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean(self, value):
        value = super().clean(value)
        return clean_phone_value(value) if value else value


class IinLookupForm(forms.Form):
    iin = IinField()


class _ReferenceChoices:
    """Choices of a reference table picked from core.reference's cache instead of one query per form.

    `reference_key` names the choice set (None: no cache; a form that narrows the queryset must give a key of
    its own). A value the cached set does not hold goes to Django's own lookup, which either finds a row added
    since (the cache is seconds old) or raises its usual error."""

    def __init__(self, *args, reference_key: tuple | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.reference_key = reference_key

    def _cached_choices(self) -> dict:
        return remember(("choices", *self.reference_key), lambda: {str(obj.pk): obj for obj in self.queryset})


class ReferenceChoiceField(_ReferenceChoices, forms.ModelChoiceField):
    def to_python(self, value):
        if self.reference_key is not None and isinstance(value, (str, int)) and value not in self.empty_values:
            found = self._cached_choices().get(str(value))
            if found is not None:
                return found
        return super().to_python(value)


class ReferenceMultipleChoiceField(_ReferenceChoices, forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if self.reference_key is not None and isinstance(value, (list, tuple)):
            choices = self._cached_choices()
            wanted = {str(pk) for pk in value if isinstance(pk, (str, int))}
            if len(wanted) == len(value) and wanted <= choices.keys():
                return [obj for pk, obj in choices.items() if pk in wanted]  # in the queryset's order
        return super()._check_values(value)


class HousingForm(forms.Form):
    settlement = ReferenceChoiceField(
        label=_("Settlement"), queryset=Settlement.objects.select_related("provider"), empty_label=None,
        reference_key=("settlements",),
    )
    fund = forms.ChoiceField(label=_("Housing fund"), choices=Fund.choices)
    category = ReferenceChoiceField(
        label=_("Category"),
        reference_key=("categories",),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("No category (national rules only)"),
        help_text=_("Under the older regional rules a category is required."),
    )
    emergency_dwelling = forms.BooleanField(
        label=_("My only dwelling is declared in emergency condition (expert conclusion attached)"), required=False
    )

    def __init__(self, *args, settlements=None, settlements_key: tuple | None = None, **kwargs):
        """`settlements` narrows the choice; `settlements_key` names that narrower set for the cache."""
        super().__init__(*args, **kwargs)
        if settlements is not None:
            self.fields["settlement"].queryset = settlements
            self.fields["settlement"].reference_key = settlements_key
        self.fields["settlement"].label_from_instance = lambda s: f"{s.name} — {s.provider.name}"

    def clean(self):
        from .services.intake import category_required

        cleaned = super().clean()
        settlement = cleaned.get("settlement")
        if settlement and not cleaned.get("category") and category_required(settlement.provider.regulation_profile):
            self.add_error("category", _("This department's rules require a category; choose the one you apply under."))
        return cleaned


class ContactsForm(forms.Form):
    phone = PhoneField()
    email = forms.EmailField(label=_("E-mail"), required=False)


class FamilyMemberForm(forms.Form):
    iin = IinField()
    # a blank first choice keeps untouched extra rows of the operator's formset empty (and skipped)
    relation = forms.ChoiceField(label=_("Relation"), choices=[("", "—"), *FamilyRelation.choices])
    full_name = forms.CharField(
        label=_("Full name"), max_length=255, required=False, help_text=_("Only if not found by IIN")
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, help_text=_("Only if not found by IIN"))
    disabled = forms.BooleanField(label=_("Has a disability"), required=False)

    def clean(self):
        cleaned = super().clean()
        iin, birth = cleaned.get("iin"), cleaned.get("birth_date")
        if iin and birth and parse_iin(iin).birth_date != birth:
            self.add_error("birth_date", _("The date of birth does not match the IIN."))
        return cleaned


class UploadForm(forms.Form):
    document_type = forms.ModelChoiceField(label=_("Document"), queryset=DocumentType.objects.for_intake(), empty_label=None)
    file = forms.FileField(label=_("Scan (PDF, JPEG or PNG, up to 10 MB)"))

    def __init__(self, *args, document_types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if document_types is not None:
            self.fields["document_type"].queryset = document_types


class ConsentsForm(forms.Form):
    property_check = forms.BooleanField(label=ConsentKind.PROPERTY_CHECK.label, required=True)
    personal_data = forms.BooleanField(label=ConsentKind.PERSONAL_DATA.label, required=True)
    publication = forms.BooleanField(label=ConsentKind.PUBLICATION.label, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = _("This consent is required to file an application.")


class SubmitForm(forms.Form):
    """Carries the draft's version so a stale or doubled submit is recognised."""

    draft_version = forms.CharField(widget=forms.HiddenInput)


class OperatorApplicationForm(HousingForm, ContactsForm, ConsentsForm):
    """A paper application entered at the ЦОН, in one page the operator knows by heart."""

    documents_received = ReferenceMultipleChoiceField(
        label=_("Documents received"),
        reference_key=("intake_document_types",),
        queryset=DocumentType.objects.for_intake(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    representative_iin = forms.CharField(label=_("Representative's IIN"), required=False, max_length=14)
    power_of_attorney_number = forms.CharField(label=_("Power of attorney number"), required=False, max_length=64)
    power_of_attorney_date = forms.DateField(label=_("Power of attorney date"), required=False)
    power_of_attorney_valid_until = forms.DateField(label=_("Power of attorney valid until"), required=False)
    is_legal_representative = forms.BooleanField(label=_("Legal representative of a minor"), required=False)

    field_order = [
        "settlement", "fund", "category", "emergency_dwelling", "phone", "email",
        "representative_iin", "power_of_attorney_number", "power_of_attorney_date",
        "power_of_attorney_valid_until", "is_legal_representative",
        "documents_received", "property_check", "personal_data", "publication",
    ]

    def clean_representative_iin(self):
        value = self.cleaned_data.get("representative_iin", "").strip()
        return clean_iin_value(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("representative_iin") and not cleaned.get("is_legal_representative"):
            if not cleaned.get("power_of_attorney_number"):
                self.add_error("power_of_attorney_number", _("Enter the power of attorney number."))
        return cleaned


FamilyFormSet = forms.formset_factory(FamilyMemberForm, extra=3, max_num=15, validate_max=True)
