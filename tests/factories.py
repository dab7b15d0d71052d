"""Factories for tests: a demo-like department with lists and users, and complete intake requests."""

from dataclasses import dataclass

import factory

from accounts.models import Provider, Role, ServiceCentre, Settlement, User
from applications.models import Category, Channel, DocumentType
from applications.services.intake import IntakeRequest, accept_application
from applications.services.people import ContactDetails
from eligibility.adapters import get_individuals_registry
from queues.models import CategoryGroup, Fund, QueueList

PASSWORD = "demo-pass-2026"
CITIZEN_IIN = "900215300126"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"prov{n}")
    regulation_profile = "national-2025"
    name_kk = factory.LazyAttribute(lambda o: f"{o.code} бөлімі")
    name_ru = factory.LazyAttribute(lambda o: f"отдел {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"{o.code} department")
    address = "Алматы қ., Абай даңғ., 1"


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Settlement

    provider = factory.SubFactory(ProviderFactory)
    code = factory.Sequence(lambda n: f"town{n}")
    kind = "republican_city"
    name_kk = "Алматы қаласы"
    name_ru = "город Алматы"
    name_en = "Almaty"


class ServiceCentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCentre

    code = factory.Sequence(lambda n: f"con{n}")
    address = "Алматы қ., Жандосов к., 2"
    name_kk = factory.LazyAttribute(lambda o: f"ХҚО {o.code}")
    name_ru = factory.LazyAttribute(lambda o: f"ЦОН {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Centre {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CLERK
    password = factory.django.Password(PASSWORD)


@dataclass
class Department:
    provider: Provider
    settlement: Settlement
    centre: ServiceCentre
    other_provider: Provider
    other_settlement: Settlement
    other_centre: ServiceCentre


def make_lists(provider, settlement):
    for order, group in enumerate(CategoryGroup.values):
        for fund in (Fund.COMMUNAL, Fund.STATE_INSTITUTION):
            QueueList.objects.get_or_create(
                provider=provider, settlement=settlement, fund=fund, category_group=group,
                defaults={"code": f"{settlement.code}-{fund}-{group}".lower().replace("_", "-"), "ordering": order,
                          "name_kk": group, "name_ru": group, "name_en": group},
            )


def make_department() -> Department:
    provider = ProviderFactory(code="almaty", regulation_profile="national-2025")
    settlement = SettlementFactory(provider=provider, code="almaty")
    other = ProviderFactory(code="aktobe", regulation_profile="regional-30d")
    other_settlement = SettlementFactory(provider=other, code="aktobe", kind="regional_city")
    centre = ServiceCentreFactory(code="con-1")
    centre.providers.add(provider, other)
    other_centre = ServiceCentreFactory(code="con-2")
    other_centre.providers.add(provider)
    make_lists(provider, settlement)
    make_lists(other, other_settlement)
    return Department(provider, settlement, centre, other, other_settlement, other_centre)


def make_users(dept: Department) -> dict[str, User]:
    return {
        "citizen": UserFactory(username="citizen", role=Role.APPLICANT, iin=CITIZEN_IIN, first_name="Ерлан", last_name="Серікбаев"),
        "other_citizen": UserFactory(username="citizen2", role=Role.APPLICANT, iin=simulated_people()[4].iin),
        "operator": UserFactory(username="operator", role=Role.OPERATOR, service_centre=dept.centre),
        "other_operator": UserFactory(username="operator2", role=Role.OPERATOR, service_centre=dept.other_centre),
        "clerk": UserFactory(username="clerk", role=Role.CLERK, provider=dept.provider),
        "head": UserFactory(username="head", role=Role.HEAD, provider=dept.provider),
        "executor": UserFactory(username="executor", role=Role.EXECUTOR, provider=dept.provider),
        "other_executor": UserFactory(username="executor2", role=Role.EXECUTOR, provider=dept.provider),
        "admin": UserFactory(username="admin", role=Role.ADMINISTRATOR, provider=dept.provider),
        "auditor": UserFactory(username="auditor", role=Role.AUDITOR, provider=dept.provider),
        "other_clerk": UserFactory(username="clerk2", role=Role.CLERK, provider=dept.other_provider),
    }


def simulated_people():
    """Adults known to the individuals-database simulator, the demo citizen first."""
    people = get_individuals_registry().all_people()
    return sorted((p for p in people if p.birth_date.year < 2007), key=lambda p: (p.iin != CITIZEN_IIN, p.iin))


def intake_request(dept: Department, submitted_by, *, person=None, channel=Channel.SERVICE_CENTRE, category_code="LARGE_FAMILY", provider=None, **overrides) -> IntakeRequest:
    provider = provider or dept.provider
    settlement = dept.settlement if provider == dept.provider else dept.other_settlement
    values = dict(
        provider=provider,
        settlement=settlement,
        fund=Fund.COMMUNAL,
        category=Category.objects.get(code=category_code) if category_code else None,
        applicant=person or simulated_people()[0],
        contacts=ContactDetails(phone="+77011234567", email="applicant@example.kz"),
        consents={"property_check", "personal_data", "publication"},
        channel=channel,
        submitted_by=submitted_by,
        service_centre=dept.centre if channel == Channel.SERVICE_CENTRE else None,
        documents_received=set(DocumentType.objects.for_intake().values_list("code", flat=True)),
    )
    values.update(overrides)
    return IntakeRequest(**values)


def file_case(dept, submitted_by, **kwargs):
    """Accept a case and run its after-commit work (receipt PDF, notifications) as production would."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return accept_application(intake_request(dept, submitted_by, **kwargs))
