"""Two approvers at once, two proposals at once: row locks and the one-open-request index on the real database."""

import pytest
from django.db import connection, transaction

from accounts.models import Role
from applications.services.errors import ServiceError
from queues.models import EntryStatus, EventKind, QueueEvent, RemovalRequest, RequestStatus
from queues.services import removals
from tests.concurrency import race
from tests.factories import UserFactory
from tests.queue_places import new_list
from tests.queues.queue_register_support import fresh, pdf, registered_place, yesterday

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL concurrency; CI runs it with DATABASE_URL"),
]


def _propose(entry, actor, ground="MOVED_AWAY"):
    return removals.propose_removal(entry, actor, ground=ground, reason="r", legal_basis="art. 73", document=pdf(),
                                    effective_date=yesterday())


def test_two_approvers_at_once_remove_once(department, users):
    admin2 = UserFactory(username="admin2", role=Role.ADMINISTRATOR, provider=department.provider)
    queue_list = new_list(department.provider)
    with transaction.atomic():  # the place services lock the list's log head
        places = [registered_place(queue_list, users["operator"]) for _ in range(3)]
    req = _propose(places[0], users["admin"])
    results = race([lambda: removals.approve_removal(req, users["head"]),
                    lambda: removals.approve_removal(req, admin2)])
    approved = [r for r in results if isinstance(r, RemovalRequest)]
    refused = [r for r in results if isinstance(r, removals.AlreadyDecided)]
    assert len(approved) == 1 and len(refused) == 1, results
    assert RemovalRequest.objects.get(pk=req.pk).status == RequestStatus.APPROVED
    assert QueueEvent.objects.filter(entry=places[0], kind=EventKind.REMOVED).count() == 1
    assert fresh(places[0]).status == EntryStatus.REMOVED


def test_two_proposals_at_once_make_one_request(department, users):
    admin2 = UserFactory(username="admin2", role=Role.ADMINISTRATOR, provider=department.provider)
    with transaction.atomic():
        entry = registered_place(new_list(department.provider), users["operator"])
    results = race([lambda: _propose(entry, users["admin"]), lambda: _propose(entry, admin2, "OWN_REQUEST")])
    made = [r for r in results if isinstance(r, RemovalRequest)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(made) == 1 and len(refused) == 1, results
    assert RemovalRequest.objects.filter(entry=entry).count() == 1
