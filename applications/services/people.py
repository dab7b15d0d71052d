"""People known by IIN: looked up in the individuals database, kept in sync locally."""

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from eligibility.adapters import PersonRecord, get_individuals_registry
from eligibility.adapters.individuals import StateSystemUnavailable
from eligibility.iin import InvalidIIN, parse_iin

from ..models import Person
from .errors import PersonDataMismatch, ServiceError, StateSystemError


class PersonNotFound(ServiceError):
    """Unknown to the registry: staff or the applicant may type the person's data in by hand."""


class PersonDeceased(ServiceError):
    """Known and deceased: never typed in by hand."""


def iin_error_message(exc: InvalidIIN) -> str:
    messages = {
        "format": _("The IIN must be exactly 12 digits."),
        "century": _("The 7th digit of the IIN must be 1 to 6."),
        "date": _("The first six digits of the IIN are not a real date of birth."),
        "check_digit": _("The IIN check digit is wrong; please check the number."),
        "check_digit_unissuable": _("This IIN cannot exist (its check digit cannot be computed)."),
    }
    return messages.get(exc.code, _("Invalid IIN."))


def lookup_person(iin: str) -> PersonRecord:
    """The registry's record for a valid IIN, or a translated error."""
    try:
        parse_iin(iin)
    except InvalidIIN as exc:
        raise ServiceError(iin_error_message(exc)) from None
    try:
        record = get_individuals_registry().find_person(iin)
    except StateSystemUnavailable:
        raise StateSystemError() from None
    if record is None:
        raise PersonNotFound(_("No person with this IIN was found in the state database of individuals."))
    if not record.alive:
        raise PersonDeceased(_("The state database of individuals records this person as deceased."))
    return record


@dataclass
class ContactDetails:
    phone: str
    email: str = ""


def check_birth_date(iin: str, birth_date: date) -> None:
    parsed = parse_iin(iin)
    if parsed.birth_date != birth_date:
        raise PersonDataMismatch(
            _("The date of birth %(given)s does not match the IIN %(iin)s (%(expected)s).")
            % {"given": birth_date.strftime("%d.%m.%Y"), "iin": iin, "expected": parsed.birth_date.strftime("%d.%m.%Y")}
        )


def upsert_person_from_record(record: PersonRecord, contacts: ContactDetails, user=None) -> Person:
    return upsert_person(record, contacts, user=user)[0]


def upsert_person(record: PersonRecord, contacts: ContactDetails, user=None) -> tuple[Person, bool]:
    """Create or refresh the local copy under a row lock; the caller holds the transaction.

    (person, created): a person created just now has no cases yet, which saves intake a query."""
    check_birth_date(record.iin, record.birth_date)
    parsed = parse_iin(record.iin)
    if parsed.sex != record.sex:
        raise PersonDataMismatch(_("The sex in the state database does not match the IIN."))
    fields = {
        "surname": record.surname,
        "given_name": record.given_name,
        "patronymic": record.patronymic,
        "birth_date": record.birth_date,
        "sex": record.sex,
        "id_document_number": record.id_document_number,
        "id_document_issued": record.id_document_issued,
        "address": record.address,
        "registered_here_since": record.registered_since,
    }
    person = Person.objects.select_for_update().filter(iin=record.iin).first()
    if person is None:
        # INSERT … ON CONFLICT (iin) DO UPDATE instead of a savepoint around a plain INSERT (two statements fewer
        # on every new person): a concurrent first insert of the same IIN is refreshed with this record instead of
        # failing. "Created" may then be wrong; intake only uses it to skip looking for the person's active case,
        # and the partial unique index on active cases still refuses a second one.
        refreshed = [*fields, "updated_at", *(["phone"] if contacts.phone else []), *(["email"] if contacts.email else [])]
        (person,) = Person.objects.bulk_create(
            [Person(iin=record.iin, phone=contacts.phone, email=contacts.email, user=user, **fields)],
            update_conflicts=True, unique_fields=["iin"], update_fields=refreshed,
        )
        return person, True
    for key, value in fields.items():
        setattr(person, key, value)
    person.phone = contacts.phone or person.phone
    person.email = contacts.email or person.email
    if user is not None and person.user_id is None:
        person.user = user
    person.save()
    return person, False
