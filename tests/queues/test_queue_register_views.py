"""Staff register pages (/staff/queue/) and the citizen's view of their own place."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Role
from applications.models import Application, CaseState, Person
from queues.models import EntryStatus, QueueEntry, RemovalRequest, RequestStatus, RestorationRequest
from queues.selectors import position
from queues.services import entries, removals
from tests.factories import CITIZEN_IIN, UserFactory
from tests.queue_places import new_list
from tests.queues.queue_register_support import (
    family_member, fresh, pdf, pending_place, registered_place, set_state, yesterday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    with translation.override("en"):
        yield


@pytest.fixture
def queue_list(department):
    return new_list(department.provider)


def as_user(client, user):
    from django.conf import settings

    client.force_login(user, backend="accounts.backends.IinOrUsernameBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages are asserted in English (the default is Kazakh)
    return client


def propose(entry, actor, **overrides):
    values = dict(ground="MOVED_AWAY", reason="Moved away.", legal_basis="Law on housing relations, art. 73",
                  document=pdf(), effective_date=yesterday())
    values.update(overrides)
    return removals.propose_removal(entry, actor, **values)


# --- lists and list pages --------------------------------------------------------------------------------------

def test_lists_page_shows_counts_of_own_provider_only(client, department, queue_list, users,
                                                     django_assert_max_num_queries):
    for _ in range(3):
        registered_place(queue_list, users["operator"])
    pending_place(queue_list, users["operator"])
    removed = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(removed, users["admin"]), users["head"])
    other = new_list(department.other_provider)
    registered_place(other, users["operator"])
    as_user(client, users["clerk"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("queues_register:lists"))
    assert response.status_code == 200
    row = next(ql for ql in response.context["lists"] if ql.pk == queue_list.pk)
    assert (row.active, row.registered, row.pending) == (4, 3, 1)
    assert other.pk not in [ql.pk for ql in response.context["lists"]]
    assert other.code not in response.content.decode()


def test_list_pages_are_numbered_in_queue_order_across_blocks(client, queue_list, users, monkeypatch,
                                                              django_assert_max_num_queries):
    monkeypatch.setattr(entries, "BLOCK_SIZE", 7)  # many small blocks: pages start inside blocks
    places = [registered_place(queue_list, users["operator"]) for _ in range(118)]
    for gone in (places[3], places[60]):  # holes: numbers stay consecutive
        removals.approve_removal(propose(gone, users["admin"]), users["head"])
    active = [p for p in places if p not in (places[3], places[60])]
    as_user(client, users["executor"])
    url = reverse("queues_register:list", args=[queue_list.code])
    seen = []
    for page in (1, 2, 3):
        with django_assert_max_num_queries(12):
            response = client.get(url, {"page": page})
        rows = response.context["page"].rows
        assert [n for n, _ in rows] == list(range((page - 1) * 50 + 1, (page - 1) * 50 + 1 + len(rows)))
        seen += [entry.pk for _, entry in rows]
        for number, entry in rows:
            assert position(entry) == number
    assert seen == [p.pk for p in active]
    assert response.context["page"].num_pages == 3 and len(rows) == 16
    content = response.content.decode()
    assert active[-1].application.number in content and active[-1].holder.full_name in content
    assert reverse("applications:staff_case", args=[active[-1].application.number]) in content
    beyond = client.get(url, {"page": 99})  # past the end: the last page
    assert beyond.context["page"].number == 3
    assert client.get(url, {"page": "x"}).context["page"].number == 1


def test_search_by_application_number_jumps_to_its_page(client, queue_list, users):
    places = [registered_place(queue_list, users["operator"]) for _ in range(60)]
    as_user(client, users["clerk"])
    url = reverse("queues_register:list", args=[queue_list.code])
    number = places[55].application.number
    response = client.get(url, {"number": number})
    assert response.status_code == 302 and response["Location"] == f"{url}?page=2#a-{number}"
    missing = client.get(url, {"number": "NO-SUCH"})
    assert missing.status_code == 200 and "no place with this application number" in missing.content.decode()
    removals.approve_removal(propose(places[0], users["admin"]), users["head"])
    gone = client.get(url, {"number": places[0].application.number})
    assert gone["Location"] == reverse("queues_register:entry", args=[places[0].application.number])


def test_another_providers_pages_are_not_found(client, department, users):
    other_list = new_list(department.other_provider)
    entry = registered_place(other_list, users["operator"])
    other_admin = UserFactory(username="admin-aktobe", role=Role.ADMINISTRATOR, provider=department.other_provider)
    req = propose(entry, other_admin)
    as_user(client, users["head"])
    for url in (reverse("queues_register:list", args=[other_list.code]),
                reverse("queues_register:entry", args=[entry.application.number]),
                reverse("queues_register:request_document", args=["removal", req.pk])):
        assert client.get(url).status_code == 404, url
    decide = client.post(reverse("queues_register:decide", args=["removal", req.pk]), {"decision": "approve"})
    assert decide.status_code == 404
    as_user(client, users["admin"])
    proposal = client.post(reverse("queues_register:propose_removal", args=[entry.application.number]), {})
    assert proposal.status_code == 404
    assert RemovalRequest.objects.get(pk=req.pk).status == RequestStatus.PROPOSED
    assert entry.application.number not in client.get(reverse("queues_register:requests")).content.decode()


# --- one place: propose, wait, decide ---------------------------------------------------------------------------

def test_propose_and_approve_through_the_pages(client, queue_list, users, django_capture_on_commit_callbacks):
    places = [registered_place(queue_list, users["operator"]) for _ in range(3)]
    target = places[0]
    member = family_member(target.application, 11)
    number = target.application.number
    entry_url = reverse("queues_register:entry", args=[number])

    as_user(client, users["clerk"])  # reads, but offers no forms
    page = client.get(entry_url)
    assert page.status_code == 200 and page.context["removal_form"] is None
    assert client.post(reverse("queues_register:propose_removal", args=[number]), {}).status_code == 403

    as_user(client, users["admin"])
    page = client.get(entry_url)
    content = page.content.decode()
    assert page.context["number"] == 1 and "data-removal-form" in content and member.full_name in content
    bad = client.post(reverse("queues_register:propose_removal", args=[number]),
                      {"ground": "MOVED_AWAY", "reason": "r", "legal_basis": "art. 73",
                       "effective_date": yesterday().isoformat(),
                       "successor": member.pk, "document": pdf()})
    assert bad.status_code == 200 and "only after the death" in bad.content.decode()
    no_successor = client.post(reverse("queues_register:propose_removal", args=[number]),
                               {"ground": "DEATH", "reason": "r", "legal_basis": "art. 73",
                                "effective_date": yesterday().isoformat(), "successor_phone": "+77020000003",
                                "document": pdf()})
    assert no_successor.status_code == 200
    assert "Contacts are given only for a family member who continues the case." in no_successor.content.decode()
    assert 'name="successor_phone"' in content and 'name="successor_email"' in content
    wrong_type = client.post(reverse("queues_register:propose_removal", args=[number]),
                             {"ground": "MOVED_AWAY", "reason": "r", "legal_basis": "art. 73",
                              "effective_date": yesterday().isoformat(), "document": pdf("x.pdf", b"GIF89a...")})
    assert wrong_type.status_code == 200 and "PDF, JPEG and PNG" in wrong_type.content.decode()
    assert not RemovalRequest.objects.exists()
    done = client.post(reverse("queues_register:propose_removal", args=[number]),
                       {"ground": "MOVED_AWAY", "reason": "Lives in Astana since 2025.",
                        "legal_basis": "art. 73 p. 1 sub. 3",
                        "effective_date": yesterday().isoformat(), "document": pdf()})
    assert done.status_code == 302 and done["Location"] == entry_url
    req = RemovalRequest.objects.get()
    waiting = client.get(reverse("queues_register:requests")).content.decode()
    assert "data-waiting" in waiting and 'value="approve"' not in waiting  # the proposer waits for someone else
    own = client.post(reverse("queues_register:decide", args=["removal", req.pk]), {"decision": "approve"}, follow=True)
    assert "another officer must decide" in own.content.decode()
    assert RemovalRequest.objects.get().status == RequestStatus.PROPOSED

    as_user(client, users["head"])
    listing = client.get(reverse("queues_register:requests")).content.decode()
    assert number in listing and 'value="approve"' in listing
    document = client.get(reverse("queues_register:request_document", args=["removal", req.pk]))
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert b"".join(document.streaming_content).startswith(b"%PDF")
    decide_url = reverse("queues_register:decide", args=["removal", req.pk])
    no_comment = client.post(decide_url, {"decision": "reject"}, follow=True)
    assert "Write why" in no_comment.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(reverse("queues_register:decide", args=["removal", req.pk]),
                               {"decision": "approve", "back": "entry"})
    assert approved["Location"] == entry_url
    assert fresh(target).status == EntryStatus.REMOVED
    assert [position(fresh(p)) for p in places[1:]] == [1, 2]
    again = client.post(decide_url, {"decision": "approve"}, follow=True)
    assert "already been decided" in again.content.decode()

    as_user(client, users["admin"])  # the removed place now offers a restoration
    page = client.get(entry_url)
    assert page.context["restoration_form"] is not None and page.context["removal_form"] is None
    done = client.post(reverse("queues_register:propose_restoration", args=[number]),
                       {"basis": "COURT_ORDER", "reason": "Annulled.", "legal_basis": "Court order 2-1/2026",
                        "effective_date": yesterday().isoformat(), "document": pdf()})
    assert done.status_code == 302
    assert RestorationRequest.objects.get().status == RequestStatus.PROPOSED


def test_the_entry_page_shows_history_and_the_log(client, queue_list, users):
    places = [registered_place(queue_list, users["operator"]) for _ in range(3)]
    removals.approve_removal(propose(places[0], users["admin"]), users["head"])
    as_user(client, users["auditor"])
    page = client.get(reverse("queues_register:entry", args=[places[2].application.number]))
    assert page.context["number"] == 2 and page.context["notified"] == 3
    assert [row.removed for row in page.context["history"]] == [1]
    assert "data-position-history" in page.content.decode()
    assert [e.kind for e in page.context["events"]] == ["entered", "registered"]


# --- the citizen's own place --------------------------------------------------------------------------------------

def _citizen_place(queue_list, users):
    """The demo citizen's own registered case (their IIN), behind two other places."""
    from applications.services.people import ContactDetails, upsert_person_from_record
    from tests.factories import simulated_people

    for _ in range(2):
        registered_place(queue_list, users["operator"])
    record = next(p for p in simulated_people() if p.iin == CITIZEN_IIN)
    person = upsert_person_from_record(record, ContactDetails(phone=""))
    entry = pending_place(queue_list, users["operator"])
    Application.objects.filter(pk=entry.application_id).update(applicant=person)
    QueueEntry.objects.filter(pk=entry.pk).update(holder=person)
    case = set_state(entry.application, CaseState.QUEUED)
    entries.register_entry(case)
    return fresh(entry)


def test_the_citizen_sees_their_number_and_how_it_moved(client, queue_list, users):
    entry = _citizen_place(queue_list, users)
    ahead = QueueEntry.objects.filter(queue_list=queue_list).exclude(pk=entry.pk).order_by("accepted_at")[0]
    removals.approve_removal(propose(ahead, users["admin"]), users["head"])
    as_user(client, users["citizen"])
    page = client.get(reverse("applications:case_status", args=[entry.application.number]))
    place = page.context["place"]
    assert (place["number"], place["notified"]) == (2, 3)
    row = place["history"][-1]
    assert (row.removed, row.housed, row.left, row.restored, row.number_after) == (1, 0, 0, 0, 2)
    content = page.content.decode()
    assert "data-my-place" in content and "data-position-history" in content
    assert ahead.application.number not in content and ahead.holder.full_name not in content


def test_the_citizen_sees_why_their_place_was_removed_and_how_to_complain(client, queue_list, users):
    entry = _citizen_place(queue_list, users)
    req = propose(entry, users["admin"], ground="GROUNDS_CEASED", reason="A flat was bought in 2026.",
                  legal_basis="art. 73 p. 1 sub. 2")
    removals.approve_removal(req, users["head"])
    as_user(client, users["citizen"])
    page = client.get(reverse("applications:case_status", args=[entry.application.number]))
    removal = page.context["place"]["removal"]
    assert removal["legal_basis"] == "art. 73 p. 1 sub. 2" and removal["date"] == yesterday()
    content = page.content.decode()
    assert "data-removal" in content and "Grounds for provision of housing ceased" in content
    assert "complain" in content.lower()
    assert reverse("applications:complain", args=[entry.application.number]) in content


def test_a_case_still_being_decided_shows_no_place_card(client, department, users):
    from tests.factories import file_case

    case = file_case(department, users["citizen"], channel="portal")
    as_user(client, users["citizen"])
    page = client.get(reverse("applications:case_status", args=[case.number]))
    assert page.status_code == 200 and page.context["place"] is None


def test_the_continuing_family_member_is_shown_on_the_entry_page(client, queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    member = family_member(entry.application, 12, surname="Сейітова", given_name="Дана")
    removals.approve_removal(propose(entry, users["admin"], ground="DEATH", successor=member), users["head"])
    as_user(client, users["clerk"])
    content = client.get(reverse("queues_register:entry", args=[entry.application.number])).content.decode()
    assert "Сейітова Дана" in content and "continues the case of" in content
    assert Person.objects.get(iin=member.iin).queue_places.get() == fresh(entry)
