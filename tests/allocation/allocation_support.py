"""Helpers for the allocation tests: a seeded queue of registered places with families, dwellings, rounds."""

import itertools

import pytest
from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from accounts.models import Role
from allocation.models import Dwelling, DwellingCondition, Offer, Skip
from allocation.services import offers, rounds
from applications.models import Application, CaseState, Category, Channel, Consent, ConsentKind, FamilyMember, Person
from queues.models import QueueEntry, QueueList
from queues.services import entries
from tests.factories import UserFactory
from tests.web.web_support import valid_iin

_n = itertools.count(1)
BASE_TIME = datetime(2019, 3, 4, 4, 0, tzinfo=dt_timezone.utc)
LEGAL_BASIS = "Law on housing relations, art. 74; akimat resolution No. 12"


def general_list(dept) -> QueueList:
    return QueueList.objects.get(provider=dept.provider, settlement=dept.settlement, fund="communal",
                                 category_group="GENERAL")


def vulnerable_list(dept) -> QueueList:
    return QueueList.objects.get(provider=dept.provider, settlement=dept.settlement, fund="communal",
                                 category_group="SOCIALLY_VULNERABLE")


def place(queue_list, submitted_by, *, family=0, disabled_member=False, category="LARGE_FAMILY", person=None,
          language="en", channel=Channel.PORTAL, service_centre=None, surname="Тестова", given_name="Айгерім") -> QueueEntry:
    """A case registered in the queue (QUEUED, place registered and notified) with `family` family members."""
    k = next(_n)
    if person is None:
        # serials 5000–8999: 9xxx IINs are the simulator's synthetic residents (eligibility/adapters/individuals.py)
        birth = date(1975, 1, 1) + timedelta(days=k * 3)
        person = Person.objects.create(iin=valid_iin(birth, "4", 5000 + (k * 13) % 4000), surname=surname,
                                       given_name=f"{given_name}{k}", birth_date=birth, sex="F",
                                       registered_here_since=date(2010, 1, 1))
    case = Application.objects.create(
        number=f"AL-{k:06d}", provider=queue_list.provider, settlement=queue_list.settlement, fund=queue_list.fund,
        queue_list=queue_list, applicant=person, channel=channel, service_centre=service_centre,
        regulation_profile="national-2025", category=Category.objects.get(code=category) if category else None,
        accepted_at=BASE_TIME + timedelta(minutes=k), queue_seq=2 * 10**9 + k, submitted_by=submitted_by,
        contact_phone="+77010000000", contact_email="person@example.kz", language=language,
    )
    for kind in ConsentKind.values:
        Consent.objects.create(application=case, kind=kind, given_at=case.accepted_at)
    for i in range(family):
        birth = date(2012, 1, 1) + timedelta(days=k * 5 + i)
        FamilyMember.objects.create(application=case, relation="child", iin=valid_iin(birth, "5", 3000 + (k * 17 + i) % 5000),
                                    full_name=f"Бала {k}-{i}", birth_date=birth, disabled=disabled_member and i == 0)
    with transaction.atomic():  # the place and its log events (the list's log head is locked)
        entries.open_entry(case)
        Application.objects.filter(pk=case.pk).update(state=CaseState.QUEUED)
        entries.register_entry(Application.objects.get(pk=case.pk))
    return QueueEntry.objects.select_related("application", "holder", "queue_list").get(application=case)


def ineligible_person() -> Person:
    """The simulator's person who owns a dwelling now: the re-check finds OWNED_HOUSING_*."""
    from eligibility.adapters import get_individuals_registry

    registry = get_individuals_registry()
    record = next(p for p in registry.all_people() if "owns a dwelling now" in registry.raw(p.iin).get("demo_note", ""))
    return Person.objects.get_or_create(iin=record.iin, defaults=dict(
        surname=record.surname, given_name=record.given_name, birth_date=record.birth_date, sex=record.sex,
        registered_here_since=date(2010, 1, 1)))[0]


def dwelling(dept, admin, *, area="40", rooms=1, floor=3, accessible=False, lift=False, fund="communal", ref=None):
    k = next(_n)
    return Dwelling.objects.create(
        provider=dept.provider, settlement=dept.settlement, fund=fund, reference=ref or f"REF-{k:05d}",
        address=f"Алматы қ., Тест к., {k}", rooms=rooms, useful_area=Decimal(area), floor=floor,
        wheelchair_accessible=accessible, has_lift=lift, condition=DwellingCondition.GOOD, registered_by=admin)


def second_admin(dept):
    return UserFactory(username=f"admin-b-{next(_n)}", role=Role.ADMINISTRATOR, provider=dept.provider)


def round_with(dept, admin, dwellings, shares=None, **kwargs):
    """A round over `dwellings`, by default 100% to the general list."""
    round_ = rounds.create_round(admin, name=kwargs.pop("name", "Round 1"), **kwargs)
    rounds.add_dwellings(round_, admin, dwellings)
    rounds.set_shares(round_, admin, shares or {general_list(dept): 100})
    return round_


def approve_all(round_, approver):
    for skip in Skip.objects.filter(round=round_, approved_at__isnull=True, rejected_at__isnull=True):
        offers.approve_skip(skip, approver)


def run_on_commit(call):
    """Run `call` and the after-commit work it promises (outbox messages, their handlers), as production would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


def live_offers(round_):
    return list(Offer.objects.filter(round=round_, status__in=["proposed", "offered", "accepted", "decided"])
                .select_related("entry__application", "dwelling"))


def expire_now(offer):
    Offer.objects.filter(pk=offer.pk).update(respond_by=timezone.now() - timedelta(minutes=1))


# --- the permission matrix (tests/web/test_web_permission_matrix.py) -----------------------------------------------

OFFER_FOR_ROLE = {  # (own, other) offer per role: the holder's own / another person's; the branch's / another branch's
    "operator": ("centre", "other_branch"),
}


def _matrix_world(world) -> dict:
    """Allocation objects for the matrix's world: this provider's (own) and the other provider's (other)."""
    cache = world.__dict__.get("allocation")
    if cache is not None:
        return cache
    from allocation.models import AllocationDecision, AllocationRound, RoundStatus

    d, users = world.dept, world.users
    admin = users["admin"]
    other_admin = UserFactory(username="admin-aktobe", role=Role.ADMINISTRATOR, provider=d.other_provider)
    own_round = AllocationRound.objects.create(provider=d.provider, name="Own round", status=RoundStatus.OFFERING,
                                               created_by=admin)
    draft_round = AllocationRound.objects.create(provider=d.provider, name="Draft round", created_by=admin)
    other_round = AllocationRound.objects.create(provider=d.other_provider, name="Other round",
                                                 status=RoundStatus.OFFERING, created_by=other_admin)

    def home(provider, settlement, who):
        k = next(_n)
        return Dwelling.objects.create(provider=provider, settlement=settlement, fund="communal", reference=f"M-{k}",
                                       address=f"Matrix st. {k}", rooms=2, useful_area=Decimal("50"), floor=1,
                                       condition=DwellingCondition.GOOD, registered_by=who, status="in_round")

    due = timezone.now() + timedelta(days=5)
    offers_ = {}
    for key, case_key, round_ in (("portal", "portal_case", own_round), ("centre", "centre_case", own_round),
                                  ("other_branch", "other_branch_case", own_round),
                                  ("other_provider", "other_citizen_case", other_round)):
        case = world.cases[case_key]
        provider = case.provider
        settlement = d.settlement if provider == d.provider else d.other_settlement
        offers_[key] = Offer.objects.create(round=round_, dwelling=home(provider, settlement, round_.created_by),
                                            entry=QueueEntry.objects.get(application=case), number_at_offer=1,
                                            family_size=1, status="offered", offered_at=timezone.now(), respond_by=due)
    own_skip = Skip.objects.create(round=own_round, dwelling=offers_["portal"].dwelling,
                                   entry=QueueEntry.objects.get(application=world.cases["centre_case"]), number_at_skip=1,
                                   reason="FAMILY_TOO_LARGE", comment="Too small", proposed_by=admin)
    other_skip = Skip.objects.create(round=other_round, dwelling=offers_["other_provider"].dwelling,
                                     entry=QueueEntry.objects.get(application=world.cases["other_citizen_case"]),
                                     number_at_skip=1, reason="FAMILY_TOO_LARGE", comment="Too small",
                                     proposed_by=other_admin)
    cache = world.__dict__["allocation"] = {
        "alloc_round": (own_round, other_round),
        "alloc_public_round": (own_round, draft_round),
        "alloc_dwelling": (Dwelling.objects.create(
            provider=d.provider, settlement=d.settlement, fund="communal", reference="M-free", address="Free st. 1",
            rooms=1, useful_area=Decimal("30"), floor=1, condition=DwellingCondition.GOOD, registered_by=admin),
            offers_["other_provider"].dwelling),
        "alloc_skip": (own_skip, other_skip),
        "alloc_decision": (
            AllocationDecision.objects.create(offer=offers_["centre"], legal_basis="art. 74", drafted_by=admin),
            AllocationDecision.objects.create(offer=offers_["other_provider"], legal_basis="art. 74",
                                              drafted_by=other_admin)),
        "offers": offers_,
    }
    return cache


def matrix_object(world, kind, role, variant):
    objects = _matrix_world(world)
    if kind == "alloc_offer":
        own, other = OFFER_FOR_ROLE.get(role, ("portal", "other_provider"))
        offer = objects["offers"][own if variant == "own" else other]
        return offer.pk, f"{variant} offer ({own if variant == 'own' else other})"
    own, other = objects[kind]
    item = own if variant == "own" else other
    return item.pk, f"{variant} {kind}"


@pytest.fixture
def english():
    """Service messages in English for the asserts (the catalogues translate them into Kazakh and Russian)."""
    from django.utils import translation

    with translation.override("en"):
        yield
