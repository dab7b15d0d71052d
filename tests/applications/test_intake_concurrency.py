"""Races on the real database: row locks, the partial unique index and the queue-key sequence."""

import pytest
from django.db import connection

from applications.models import Application
from applications.services.errors import DuplicateApplication
from tests.factories import file_case, simulated_people
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrency; CI runs it with DATABASE_URL"),
    pytest.mark.usefixtures("eds_not_required"),  # signing races with EDS: tests/signatures/test_signatures_race.py
]


def test_two_submissions_for_the_same_person_make_exactly_one_case(department, users):
    person = simulated_people()[3]
    results = race([lambda: file_case(department, users["operator"], person=person) for _ in range(2)])
    cases = [r for r in results if isinstance(r, Application)]
    duplicates = [r for r in results if isinstance(r, DuplicateApplication)]
    assert len(cases) == 1 and len(duplicates) == 1, results
    assert Application.objects.filter(applicant__iin=person.iin).count() == 1
    assert duplicates[0].existing.pk == cases[0].pk


def test_many_people_at_once_get_unique_ordered_queue_keys(department, users):
    people = simulated_people()[:10]
    results = race([lambda p=p: file_case(department, users["operator"], person=p) for p in people])
    assert all(isinstance(r, Application) for r in results), results
    keys = list(Application.objects.order_by("accepted_at", "queue_seq").values_list("accepted_at", "queue_seq"))
    assert len(keys) == len(set(keys)) == 10
    assert len({seq for _, seq in keys}) == 10
    numbers = Application.objects.values_list("number", flat=True)
    assert len(set(numbers)) == 10


def test_two_heads_signing_at_once_sign_once(department, users):
    from accounts.models import Role
    from applications.models import Decision, DecisionKind
    from applications.services import review
    from applications.services.errors import ServiceError
    from tests.factories import UserFactory

    second_head = UserFactory(username="head2", role=Role.HEAD, provider=department.provider)
    case = file_case(department, users["operator"], person=simulated_people()[0])
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    results = race([lambda: review.sign_decision(case, users["head"]), lambda: review.sign_decision(case, second_head)])
    signed = [r for r in results if isinstance(r, Decision)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert Decision.objects.filter(application=case, signed_at__isnull=False).count() == 1
    assert case.issued_documents.filter(kind="notification").count() == 1
