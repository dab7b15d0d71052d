"""Removals and restorations (queues.services.removals): two people decide, one row changes, everyone is told."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from applications.models import Application, CaseEvent, CaseState, Person
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted, run_transition
from audit.models import AuditEvent
from notifications.models import Message
from queues import handlers_register
from queues.models import (
    EntryStatus, EventKind, FindingStatus, QueueEvent, RemovalRequest, RequestStatus, RestorationRequest,
)
from queues.selectors import position, position_history
from queues.services import entries, removals
from tests.factories import UserFactory
from tests.queue_places import new_list
from tests.queues.queue_register_support import (
    family_member, fresh, pdf, pending_place, registered_place, yesterday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Error messages are asserted in English (the default language is Kazakh)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def queue_list(department):
    return new_list(department.provider)


@pytest.fixture
def admin2(department):
    return UserFactory(username="admin2", role=Role.ADMINISTRATOR, provider=department.provider)


def propose(entry, actor, **overrides):
    values = dict(ground="MOVED_AWAY", reason="Moved to Astana in 2025.",
                  legal_basis="Law on housing relations, art. 73",
                  document=pdf(), effective_date=yesterday())
    values.update(overrides)
    return removals.propose_removal(entry, actor, **values)


def restore(entry, actor, **overrides):
    values = dict(basis="COURT_ORDER", reason="The court annulled the removal.",
                  legal_basis="Court order No. 2-123/2026",
                  document=pdf(), effective_date=yesterday())
    values.update(overrides)
    return removals.propose_restoration(entry, actor, **values)


def numbers(places):
    return [position(fresh(p)) for p in places]


# --- the two-person rule ----------------------------------------------------------------------------------------

def test_head_approves_an_administrators_removal(queue_list, users, django_capture_on_commit_callbacks):
    places = [registered_place(queue_list, users["operator"]) for _ in range(3)]
    target = places[1]
    req = propose(target, users["admin"])
    assert req.status == RequestStatus.PROPOSED and len(req.document_sha256) == 64
    assert fresh(target).status == EntryStatus.REGISTERED  # nothing happens before the second person
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_removal(req, users["head"], "checked the address record")
    req.refresh_from_db()
    assert (req.status, req.decided_by) == (RequestStatus.APPROVED, users["head"])
    assert req.decision_comment == "checked the address record"
    entry = fresh(target)
    assert (entry.status, entry.active) == (EntryStatus.REMOVED, False)
    case = Application.objects.get(pk=target.application_id)
    assert case.state == CaseState.REMOVED
    transition = CaseEvent.objects.get(application=case, action="remove_from_register")
    assert transition.actor == users["head"] and "art. 73" in transition.comment
    event = QueueEvent.objects.get(entry=entry, kind=EventKind.REMOVED)
    assert event.data == {"ground": "MOVED_AWAY", "legal_basis": "Law on housing relations, art. 73", "request": req.pk}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"queue.removal_proposed", "queue.removal_approved", "application.remove_from_register"} <= actions
    sent = Message.objects.filter(application=case, kind="queue_removed")
    assert {m.channel for m in sent} == {"cabinet", "sms"}
    body = sent.get(channel="cabinet").body
    assert "art. 73" in body and "complain" in body.lower() and yesterday().strftime("%Y") in body
    assert numbers([places[0], places[2]]) == [1, 2]


def test_the_proposer_cannot_approve_their_own_request(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    with pytest.raises(removals.OwnProposal):
        removals.approve_removal(req, users["admin"])
    with pytest.raises(removals.OwnProposal):
        removals.reject_removal(req, users["admin"], "changed my mind")
    assert RemovalRequest.objects.get(pk=req.pk).status == RequestStatus.PROPOSED
    assert fresh(entry).status == EntryStatus.REGISTERED


def test_the_same_user_in_another_role_is_still_the_proposer(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    admin = users["admin"]
    req = propose(entry, admin)
    admin.role = Role.HEAD  # the administrator becomes the head: still one person
    admin.save(update_fields=["role"])
    with pytest.raises(removals.OwnProposal):
        removals.approve_removal(req, admin)
    assert fresh(entry).status == EntryStatus.REGISTERED


def test_another_administrator_may_approve(queue_list, users, admin2):
    entry = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(entry, users["admin"]), admin2)
    assert fresh(entry).status == EntryStatus.REMOVED


def test_the_database_refuses_a_decider_who_proposed(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RemovalRequest.objects.filter(pk=req.pk).update(status=RequestStatus.APPROVED, decided_by=users["admin"],
                                                        decided_at=timezone.now())
    rest = RestorationRequest(entry=entry, basis="COURT_ORDER", reason="r", legal_basis="b", document="x.pdf",
                              document_sha256="0" * 64, effective_date=yesterday(), proposed_by=users["admin"],
                              status=RequestStatus.APPROVED, decided_by=users["admin"], decided_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        rest.save()


def test_a_second_click_finds_the_request_decided(queue_list, users, admin2):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    removals.approve_removal(req, users["head"])
    with pytest.raises(removals.AlreadyDecided):
        removals.approve_removal(req, users["head"])
    with pytest.raises(removals.AlreadyDecided):
        removals.reject_removal(req, admin2, "too late")
    assert QueueEvent.objects.filter(entry=entry, kind=EventKind.REMOVED).count() == 1
    assert RemovalRequest.objects.get(pk=req.pk).decided_by == users["head"]


def test_one_open_request_per_place(queue_list, users, admin2):
    entry = registered_place(queue_list, users["operator"])
    propose(entry, users["admin"])
    for who in (users["admin"], admin2):  # the same officer re-submitting, or another one
        with pytest.raises(ServiceError, match="already waiting"):
            propose(entry, who, ground="OWN_REQUEST")
    assert RemovalRequest.objects.filter(entry=entry).count() == 1


@pytest.mark.parametrize("role", ["clerk", "executor", "auditor", "head", "citizen", "operator"])
def test_only_the_administrator_proposes(queue_list, users, role):
    entry = registered_place(queue_list, users["operator"])
    with pytest.raises(NotPermitted):
        propose(entry, users[role])
    assert not RemovalRequest.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "executor", "auditor", "citizen", "operator"])
def test_only_approvers_decide(queue_list, users, role):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    with pytest.raises(NotPermitted):
        removals.approve_removal(req, users[role])
    assert RemovalRequest.objects.get(pk=req.pk).status == RequestStatus.PROPOSED


def test_another_providers_officers_can_do_nothing(department, queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    other_admin = UserFactory(username="admin-aktobe", role=Role.ADMINISTRATOR, provider=department.other_provider)
    other_head = UserFactory(username="head-aktobe", role=Role.HEAD, provider=department.other_provider)
    with pytest.raises(NotPermitted):
        propose(entry, other_admin)
    req = propose(entry, users["admin"])
    with pytest.raises(NotPermitted):
        removals.approve_removal(req, other_head)
    assert fresh(entry).status == EntryStatus.REGISTERED


def test_rejecting_needs_a_comment_and_changes_nothing(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    with pytest.raises(ServiceError, match="why"):
        removals.reject_removal(req, users["head"], "  ")
    removals.reject_removal(req, users["head"], "The address record is outdated.")
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED and req.decided_by == users["head"]
    assert fresh(entry).status == EntryStatus.REGISTERED
    assert Application.objects.get(pk=entry.application_id).state == CaseState.QUEUED
    propose(entry, users["admin"], ground="OWN_REQUEST")  # a rejected request no longer blocks a new one


# --- removal at any position is one row --------------------------------------------------------------------------

def test_removing_the_first_place_moves_everyone_forward_by_one_with_one_row_update(queue_list, users, monkeypatch):
    monkeypatch.setattr(entries, "BLOCK_SIZE", 3)  # several blocks, so counters of other blocks are involved
    places = [registered_place(queue_list, users["operator"]) for _ in range(10)]
    assert numbers(places) == list(range(1, 11))
    req = propose(places[0], users["admin"])
    with CaptureQueriesContext(connection) as captured:
        removals.approve_removal(req, users["head"])
    entry_updates = [q["sql"] for q in captured.captured_queries
                     if q["sql"].startswith("UPDATE") and '"queues_queueentry"' in q["sql"].split("SET")[0]]
    assert len(entry_updates) == 1, entry_updates
    assert '"queues_queueentry"."id" = ' in entry_updates[0]
    assert numbers(places[1:]) == list(range(1, 10))
    assert [fresh(p).notified_number for p in places[1:]] == list(range(2, 11))  # notified numbers never grow
    _, steps = position_history(fresh(places[5]))
    assert steps[-1].counts == {EventKind.REMOVED: 1} and steps[-1].number_after == 5


def test_removing_the_last_place_moves_nobody(queue_list, users):
    places = [registered_place(queue_list, users["operator"]) for _ in range(4)]
    removals.approve_removal(propose(places[-1], users["admin"]), users["head"])
    assert numbers(places[:-1]) == [1, 2, 3]


# --- death: the family keeps the place -------------------------------------------------------------------------

def test_death_with_a_successor_keeps_the_place(queue_list, users, django_capture_on_commit_callbacks):
    places = [registered_place(queue_list, users["operator"]) for _ in range(3)]
    target = places[1]
    member = family_member(target.application, 1, surname="Жұмабаева", given_name="Айгүл")
    key, number, initials = (target.accepted_at, target.queue_seq), position(target), target.initials
    req = propose(target, users["admin"], ground="DEATH", successor=member, reason="Death certificate No. 77.")
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_removal(req, users["head"])
    entry = fresh(target)
    assert (entry.pk, entry.accepted_at, entry.queue_seq) == (target.pk, *key)
    assert position(entry) == number and entry.status == EntryStatus.REGISTERED and entry.active
    assert entry.holder.iin == member.iin and entry.holder_id != target.holder_id
    assert entry.initials == "Ж. А." != initials
    event = QueueEvent.objects.get(entry=entry, kind=EventKind.SUCCEEDED)
    assert event.data == {"initials": "Ж. А.", "request": req.pk}
    case = Application.objects.get(pk=target.application_id)
    assert case.state == CaseState.QUEUED
    assert CaseEvent.objects.filter(application=case, action="queue_continued", actor=users["head"]).exists()
    message = Message.objects.get(application=case, kind="queue_continued", channel="cabinet")
    assert "Жұмабаева Айгүл" in message.body and str(number) in message.body
    assert numbers([places[0], places[2]]) == [1, 3]


def test_after_a_succession_notices_go_to_the_successor_never_to_the_deceased(queue_list, users,
                                                                             django_capture_on_commit_callbacks):
    from notifications.services import notify_applicant

    target = registered_place(queue_list, users["operator"])
    case = target.application
    Application.objects.filter(pk=case.pk).update(contact_phone="+77010000001", contact_email="late@example.kz")
    member = family_member(case, 5, surname="Жұмабаева", given_name="Айгүл")
    Person.objects.filter(iin=member.iin).update(phone="+77020000002", email="heir@example.kz")
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_removal(propose(target, users["admin"], ground="DEATH", successor=member), users["head"])
    continued = {m.channel: m for m in Message.objects.filter(application=case, kind="queue_continued")}
    assert {m.person_iin for m in continued.values()} == {member.iin}
    assert continued["sms"].recipient == "+77020000002" and continued["email"].recipient == "heir@example.kz"
    # every later notice of the case too; a successor without contacts gets the cabinet only
    Person.objects.filter(iin=member.iin).update(phone="", email="")
    notify_applicant(Application.objects.get(pk=case.pk), "queue_restored", {"number": 1}, reference="later")
    later = Message.objects.filter(application=case, kind="queue_restored", reference="later")
    assert [(m.channel, m.person_iin) for m in later] == [("cabinet", member.iin)]
    assert not Message.objects.filter(recipient__in=["+77010000001", "late@example.kz"]).exists()


def test_the_successors_contacts_given_with_the_proposal_receive_the_notices(queue_list, users,
                                                                              django_capture_on_commit_callbacks):
    target = registered_place(queue_list, users["operator"])
    member = family_member(target.application, 6)  # known locally, without a phone or e-mail
    req = propose(target, users["admin"], ground="DEATH", successor=member, successor_phone="8 (702) 000-00-03",
                  successor_email=" heir2@example.kz ")
    assert (req.successor_phone, req.successor_email) == ("+77020000003", "heir2@example.kz")  # normalised
    assert Person.objects.get(iin=member.iin).phone == ""  # nothing changes before the second person approves
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_removal(req, users["head"])
    successor = Person.objects.get(iin=member.iin)
    assert (successor.phone, successor.email) == ("+77020000003", "heir2@example.kz")
    sent = {m.channel: m.recipient for m in Message.objects.filter(application=target.application,
                                                                   kind="queue_continued")}
    assert sent == {"cabinet": "", "sms": "+77020000003", "email": "heir2@example.kz"}


def test_the_database_refuses_contacts_without_a_successor(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    req = propose(entry, users["admin"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RemovalRequest.objects.filter(pk=req.pk).update(successor_phone="+77020000003")


def test_the_successor_sees_the_case_they_continue(queue_list, users):
    from accounts.access import can_view_application
    from accounts.models import Role
    from tests.factories import UserFactory

    target = registered_place(queue_list, users["operator"])
    member = family_member(target.application, 3, surname="Жұмабаева", given_name="Айгүл")
    successor = UserFactory(username="successor", role=Role.APPLICANT, iin=member.iin)
    assert not can_view_application(successor, target.application)
    removals.approve_removal(propose(target, users["admin"], ground="DEATH", successor=member), users["head"])
    successor = successor.__class__.objects.get(pk=successor.pk)  # a new request: the scope is read once per request
    assert can_view_application(successor, target.application)
    assert not can_view_application(users["other_citizen"], target.application)


def test_a_successor_known_only_to_the_registry_is_created_from_it(queue_list, users):
    from tests.web.web_support import adults

    record = adults()[5]
    entry = registered_place(queue_list, users["operator"])
    member = family_member(entry.application, 2, local_person=False, iin=record.iin)
    removals.approve_removal(propose(entry, users["admin"], ground="DEATH", successor=member), users["head"])
    assert fresh(entry).holder.iin == record.iin and fresh(entry).holder.surname == record.surname


def test_death_without_a_successor_removes_the_place(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(entry, users["admin"], ground="DEATH"), users["head"])
    assert fresh(entry).status == EntryStatus.REMOVED


# --- bad input: a clear error and nothing changed ------------------------------------------------------------------

BAD_INPUT = {
    "no document": ({"document": None}, "Attach"),
    "wrong file type": ({"document": pdf("order.pdf", b"MZ\x90\x00 this is an executable")}, "PDF, JPEG and PNG"),
    "pdf with script": ({"document": pdf("order.pdf", b"%PDF-1.4 /JavaScript (app.alert(1))")}, "scripts"),
    "empty file": ({"document": pdf("order.pdf", b"")}, "empty"),
    "future date": ({"effective_date": timezone.localdate() + timedelta(days=1)}, "future"),
    "no date": ({"effective_date": None}, "date"),
    "missing reason": ({"reason": "   "}, "reason"),
    "missing legal basis": ({"legal_basis": ""}, "legal basis"),
    "legal basis too long": ({"legal_basis": "x" * 300}, "too long"),
    "unknown ground": ({"ground": "BORED"}, "ground"),
    "successor on another ground": ({"ground": "MOVED_AWAY", "successor": "member"}, "death"),
    "successor not in the family": ({"ground": "DEATH", "successor": 999999}, "family member"),
    "successor unknown anywhere": ({"ground": "DEATH", "successor": "unknown"}, "cannot continue"),
    "contacts without a successor": ({"ground": "DEATH", "successor_email": "heir@example.kz"}, "only for a family member"),
    "successor's phone not a mobile": ({"ground": "DEATH", "successor": "member", "successor_phone": "12345"}, "mobile"),
    "successor's e-mail malformed": ({"ground": "DEATH", "successor": "member", "successor_email": "heir@"}, "valid email address"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_removal_input_is_refused_and_changes_nothing(queue_list, users, case):
    overrides, message = BAD_INPUT[case]
    entry = registered_place(queue_list, users["operator"])
    if overrides.get("successor") == "member":
        overrides = {**overrides, "successor": family_member(entry.application, 3)}
    elif overrides.get("successor") == "unknown":
        overrides = {**overrides, "successor": family_member(entry.application, 4, local_person=False)}
    events_before = QueueEvent.objects.count()
    with pytest.raises(ServiceError, match=message) as caught:
        propose(entry, users["admin"], **overrides)
    assert str(caught.value)  # a message for the user, not a traceback
    assert not RemovalRequest.objects.exists()
    assert fresh(entry).status == EntryStatus.REGISTERED and QueueEvent.objects.count() == events_before


def test_oversized_document_is_refused(queue_list, users, settings):
    settings.KEZEK_UPLOAD_MAX_BYTES = 64
    entry = registered_place(queue_list, users["operator"])
    with pytest.raises(ServiceError, match="too large"):
        propose(entry, users["admin"], document=pdf(content=b"%PDF-1.4 " + b"0" * 100))
    assert not RemovalRequest.objects.exists()


def test_only_a_registered_place_can_be_removed(queue_list, users):
    pending = pending_place(queue_list, users["operator"])
    with pytest.raises(ServiceError, match="registered"):
        propose(pending, users["admin"])
    entry = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(entry, users["admin"]), users["head"])
    with pytest.raises(ServiceError, match="registered"):
        propose(entry, users["admin"])


def test_an_inventory_finding_is_marked_and_returns_to_review_on_rejection(department, queue_list, users):
    from queues.models import InventoryCampaign, InventoryFinding

    entry = registered_place(queue_list, users["operator"])
    campaign = InventoryCampaign.objects.create(provider=department.provider, year=2026, started_by=users["admin"],
                                                response_due=timezone.localdate() + timedelta(days=30))
    finding = InventoryFinding.objects.create(campaign=campaign, entry=entry, kind="MOVED_AWAY")
    req = propose(entry, users["admin"], finding=finding)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMOVAL_PROPOSED and req.finding == finding
    removals.reject_removal(req, users["head"], "The person still lives here.")
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN
    other = registered_place(queue_list, users["operator"])
    with pytest.raises(ServiceError, match="another place"):
        propose(other, users["admin"], finding=finding)


# --- restoration: the only way a number grows ------------------------------------------------------------------------

def test_restoration_puts_the_place_back_and_tells_everyone_it_moves(queue_list, users, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    monkeypatch.setattr(handlers_register, "MOVED_BACK_BATCH", 2)  # three batches: each its own outbox message
    places = [registered_place(queue_list, users["operator"]) for _ in range(6)]
    first, target, behind = places[0], places[1], places[2:]
    removals.approve_removal(propose(target, users["admin"]), users["head"])
    assert numbers(behind) == [2, 3, 4, 5]
    req = restore(fresh(target), users["admin"])
    with pytest.raises(removals.OwnProposal):
        removals.approve_restoration(req, users["admin"])
    assert numbers(behind) == [2, 3, 4, 5]
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_restoration(req, users["head"], "court order verified")
    entry = fresh(target)
    assert (entry.pk, entry.accepted_at, entry.queue_seq, entry.block_no) == (
        target.pk, target.accepted_at, target.queue_seq, target.block_no)
    assert (entry.status, entry.active, position(entry), entry.notified_number) == (EntryStatus.REGISTERED, True, 2, 2)
    assert Application.objects.get(pk=target.application_id).state == CaseState.QUEUED
    transition = CaseEvent.objects.get(application_id=target.application_id, action="restore_to_register")
    assert transition.actor == users["head"]
    assert numbers(behind) == [3, 4, 5, 6]
    assert numbers([first]) == [1]
    restored = QueueEvent.objects.get(entry=entry, kind=EventKind.RESTORED)
    assert restored.data == {"basis": "COURT_ORDER", "legal_basis": "Court order No. 2-123/2026", "request": req.pk}
    for place in behind:  # their history shows the removal and the restoration, with its basis
        notified, steps = position_history(fresh(place))
        assert sum(s.counts.get(EventKind.RESTORED, 0) for s in steps) == 1
        assert ("COURT_ORDER", "Court order No. 2-123/2026") in [r for s in steps for r in s.restorations]
        assert steps[-1].number_after == position(fresh(place)) == notified
    restored_message = Message.objects.get(application_id=target.application_id, kind="queue_restored",
                                           channel="cabinet")
    assert "2" in restored_message.body
    moved = Message.objects.filter(kind="queue_moved_back", channel="cabinet")
    assert sorted(moved.values_list("application_id", flat=True)) == sorted(p.application_id for p in behind)
    for place in behind:
        body = moved.get(application_id=place.application_id).body
        assert f"is now {position(fresh(place))}" in body and "Court order No. 2-123/2026" in body
        assert target.application.number not in body and target.holder.surname not in body
    assert not Message.objects.filter(application_id=first.application_id, kind="queue_moved_back").exists()
    # a re-delivered fan-out sends nothing twice
    count = Message.objects.count()
    handlers_register.notify_moved_back(request_id=req.pk, after_entry_id=target.pk)
    handlers_register.notify_moved_back(request_id=req.pk, after_entry_id=behind[1].pk)
    assert Message.objects.count() == count


def test_a_refused_application_can_be_restored(queue_list, users):
    ahead = registered_place(queue_list, users["operator"])
    target = pending_place(queue_list, users["operator"], state=CaseState.AWAITING_SIGNATURE)
    behind = registered_place(queue_list, users["operator"])
    run_transition(target.application, "sign_refusal", actor=users["head"])
    assert fresh(target).status == EntryStatus.REFUSED and numbers([behind]) == [2]
    removals.approve_restoration(restore(fresh(target), users["admin"], basis="OFFICIAL_ERROR"), users["head"])
    entry = fresh(target)
    assert entry.status == EntryStatus.REGISTERED and position(entry) == entry.notified_number == 2
    assert Application.objects.get(pk=target.application_id).state == CaseState.QUEUED
    assert numbers([ahead, behind]) == [1, 3]


def test_restoration_refuses_an_active_place_and_bad_input(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    with pytest.raises(ServiceError, match="removed place"):
        restore(entry, users["admin"])
    removals.approve_removal(propose(entry, users["admin"]), users["head"])
    for overrides, message in (({"basis": "PITY"}, "basis"), ({"document": None}, "Attach"),
                               ({"effective_date": timezone.localdate() + timedelta(days=3)}, "future"),
                               ({"reason": ""}, "reason")):
        with pytest.raises(ServiceError, match=message):
            restore(fresh(entry), users["admin"], **overrides)
    with pytest.raises(NotPermitted):
        restore(fresh(entry), users["head"])
    assert not RestorationRequest.objects.exists()


def test_rejected_restoration_changes_nothing(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(entry, users["admin"]), users["head"])
    req = restore(fresh(entry), users["admin"])
    removals.reject_restoration(req, users["head"], "The order is not final yet.")
    assert fresh(entry).status == EntryStatus.REMOVED
    assert Application.objects.get(pk=entry.application_id).state == CaseState.REMOVED
    with pytest.raises(removals.AlreadyDecided):
        removals.approve_restoration(req, users["head"])


def test_restoration_refused_while_the_person_has_another_active_case(queue_list, users):
    entry = registered_place(queue_list, users["operator"])
    removals.approve_removal(propose(entry, users["admin"]), users["head"])
    other = registered_place(queue_list, users["operator"])
    Application.objects.filter(pk=other.application_id).update(applicant=entry.holder)  # the same person applied again
    req = restore(fresh(entry), users["admin"])
    with pytest.raises(ServiceError, match="another active application"):
        removals.approve_restoration(req, users["head"])
    assert RestorationRequest.objects.get(pk=req.pk).status == RequestStatus.PROPOSED
    assert fresh(entry).status == EntryStatus.REMOVED


def test_a_removed_case_can_still_get_a_complaint_about_the_decision(department, users, eds_not_required,
                                                                     django_capture_on_commit_callbacks):
    """The whole way: intake, review, signed registration, removal approved by the head, complaint."""
    from applications.models import DecisionKind
    from applications.services import review
    from applications.services.complaints import file_complaint
    from queues.models import QueueEntry
    from tests.factories import file_case

    case = file_case(department, users["citizen"], channel="portal")
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION)
    review.sign_decision(case, users["head"])
    entry = QueueEntry.objects.get(application=case)
    assert entry.status == EntryStatus.REGISTERED
    with django_capture_on_commit_callbacks(execute=True):
        removals.approve_removal(propose(entry, users["admin"], ground="OWN_REQUEST"), users["head"])
    case = Application.objects.get(pk=case.pk)
    assert case.state == CaseState.REMOVED
    assert Message.objects.filter(application=case, kind="queue_removed", channel="email").exists()
    complaint = file_complaint(case, users["citizen"], subject="decision", text="I did not ask to be removed.")
    assert complaint.application == case
