"""The annual inventory (issue 4): a campaign over the simulator's demo people finds exactly what the state
systems say, removes nobody, is restartable and idempotent, notifies each person once, and lets the holder
answer by the deadline; removals go through the two-person removal flow."""

import hashlib
from datetime import date, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from applications.models import CaseState, DecisionKind
from applications.services import review
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted
from applications.uploads import CheckedUpload
from audit.models import OutboxMessage
from audit.relay import deliver
from eligibility.adapters import get_individuals_registry
from eligibility.iin import make_iin
from notifications.models import Message
from queues.models import (
    CampaignStatus, EntryStatus, FindingKind, FindingStatus, InventoryCampaign, InventoryFinding, QueueEntry,
    RemovalGround, RemovalRequest, RequestStatus,
)
from queues.services import inventory
from applications.services.intake import accept_application
from tests.factories import file_case, intake_request
from tests.web.web_support import PDF_BYTES, synthetic_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

# simulator_people.json (demo_note of each)
DECEASED = "991214326103"  # "died in October 2025 (applied while alive)"
MOVED = "991220426473"  # "moved permanently to Shymkent in September 2025"
OWNS_HERE = "740809321480"  # "bought with a state-programme mortgage" (Almaty, held now)
STATE_HOUSING = "791028420742"  # "holds state housing"
ELIGIBLE = "870707324813"  # "eligible"
EMERGENCY_HERE = "550119324078"  # "only dwelling in emergency condition here": not a finding
OWNS_ELSEWHERE = "850130320375"  # "owns a dwelling now (in another city)": not in the list's settlement
SOLD_LONG_AGO = "991111424440"  # "sold to the akimat in 2019": nothing held now

EXPECTED = {
    DECEASED: {FindingKind.DECEASED},
    MOVED: {FindingKind.MOVED_AWAY},
    OWNS_HERE: {FindingKind.OWNS_DWELLING},
    STATE_HOUSING: {FindingKind.STATE_HOUSING},
}


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def pdf_scan(name="scan.pdf"):
    return CheckedUpload(content=PDF_BYTES, content_type="application/pdf",
                         sha256=hashlib.sha256(PDF_BYTES).hexdigest(), original_name=name)


def record(iin):
    return get_individuals_registry().find_person(iin)


def stranger():
    """Valid IIN, serial below 9000: the individuals database does not know them."""
    return synthetic_person(3)


def benchmark_person():
    """What generate_queue makes: a valid IIN with a 9xxx serial, answered by the simulator as a resident."""
    from eligibility.adapters import PersonRecord

    iin = make_iin(date(1984, 4, 4), "M", 9321)
    return PersonRecord(iin=iin, surname="Бенчмарков", given_name="Асан", patronymic="", birth_date=date(1984, 4, 4),
                        sex="M", id_document_number="", id_document_issued=None, address="", registered_since=None)


def queued(dept, users, person):
    """A case walked to the queue the way the department does it (the rules of its time allowed it)."""
    case = file_case(dept, users["operator"], person=person)
    review.register_case(case, users["clerk"])
    review.assign_executor(case, users["head"], users["executor"])
    check = review.run_eligibility(case, users["executor"])
    review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION,
                          override_reason="" if check.eligible else "registered under the rules of the time")
    with on_commit():
        review.sign_decision(case, users["head"])
    case.refresh_from_db()
    assert case.state == CaseState.QUEUED
    return case


def accept(dept, users, person, **kwargs):
    """A place pending a decision (the receipt PDF and the acceptance message are not needed here)."""
    return accept_application(intake_request(dept, users["operator"], person=person, **kwargs))



@pytest.fixture(autouse=True)
def english():
    """The assertions read the English messages; the default language is Kazakh."""
    from django.utils import translation

    with translation.override("en"):
        yield

@pytest.fixture
def places(department, users):
    """Active places of the demo people: some registered in the queue, some still pending a decision."""
    cases = {DECEASED: queued(department, users, record(DECEASED))}
    for iin in (OWNS_HERE, MOVED, STATE_HOUSING, ELIGIBLE, EMERGENCY_HERE, OWNS_ELSEWHERE, SOLD_LONG_AGO):
        cases[iin] = accept(department, users, record(iin))
    cases["stranger"] = accept(department, users, stranger())
    cases["benchmark"] = accept(department, users, benchmark_person())
    # another provider's place is not part of this provider's inventory
    cases["elsewhere"] = accept(department, users, record(DECEASED), provider=department.other_provider)
    return cases


def expected_findings(cases):
    found = {(cases[iin].queue_entry.pk, kind) for iin, kinds in EXPECTED.items() for kind in kinds}
    found.add((cases["stranger"].queue_entry.pk, FindingKind.NOT_FOUND))
    return found


def snapshot(department):
    return sorted(QueueEntry.objects.filter(queue_list__provider=department.provider)
                  .values_list("pk", "status", "active", "application__state"))


def start(department, users, *, year=2026, days=30, run=True):
    with on_commit():
        campaign = inventory.start_campaign(department.provider, users["admin"], year=year,
                                            response_due=timezone.localdate() + timedelta(days=days))
    campaign.refresh_from_db()
    return campaign


def findings(campaign):
    return set(InventoryFinding.objects.filter(campaign=campaign).values_list("entry_id", "kind"))


def test_a_campaign_finds_exactly_what_the_state_systems_say_and_removes_nobody(department, users, places):
    before = snapshot(department)
    campaign = start(department, users)  # the outbox runs the check (Celery eager in tests)

    assert campaign.status == CampaignStatus.REVIEW and campaign.finished_at
    assert campaign.total == campaign.checked == 10
    assert findings(campaign) == expected_findings(places)
    assert snapshot(department) == before  # nobody removed, no place or case changed
    assert not RemovalRequest.objects.exists()

    facts = {f.kind: f.facts for f in campaign.findings.all()}
    assert facts[FindingKind.DECEASED]["died_on"] == "2025-10-02"
    assert facts[FindingKind.MOVED_AWAY] | {"checked_on": None} == {
        "checked_on": None, "list_settlement": "almaty", "registered_settlement": "shymkent",
        "registered_since": "2025-09-01"}
    dwelling = facts[FindingKind.OWNS_DWELLING]["dwellings"]
    assert dwelling == [{"owner": "holder", "settlement": "almaty", "held_from": "2019-04-01",
                         "acquired": "state_mortgage", "acquired_after_place": False}]
    assert facts[FindingKind.STATE_HOUSING]["holdings"] == [
        {"owner": "holder", "settlement": "almaty", "held_from": "2016-01-01"}]
    assert all(f.status == FindingStatus.OPEN for f in campaign.findings.all())
    assert "iin" not in str(facts).lower()


def test_findings_count_the_family_of_the_case_without_their_iin(department, users):
    from applications.services.intake import FamilyMemberData

    holder = record(ELIGIBLE)
    spouse = record(STATE_HOUSING)
    case = accept(department, users, holder, family=[FamilyMemberData(
        iin=spouse.iin, relation="spouse", full_name=spouse.full_name, birth_date=spouse.birth_date)])
    campaign = start(department, users)
    finding = campaign.findings.get()
    assert (finding.entry_id, finding.kind) == (case.queue_entry.pk, FindingKind.STATE_HOUSING)
    assert finding.facts["holdings"][0]["owner"] == "family:spouse"
    assert spouse.iin not in str(finding.facts)


def test_rerunning_creates_no_duplicates_and_notifies_once(department, users, places):
    campaign = start(department, users)
    first = findings(campaign)
    messages = Message.objects.filter(kind=inventory.NOTIFICATION_KIND).count()

    # a campaign re-opened for checking from the start (an operator's mistake, a replayed message)
    InventoryCampaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.RUNNING, last_entry_id=0, checked=0)
    with on_commit():
        inventory.run_campaign(campaign.pk, batch=3)
    assert findings(campaign) == first
    assert InventoryFinding.objects.filter(campaign=campaign).count() == len(first)
    assert Message.objects.filter(kind=inventory.NOTIFICATION_KIND).count() == messages


def test_each_person_is_notified_once_per_campaign_on_every_channel(department, users, places):
    campaign = start(department, users)
    sent = Message.objects.filter(kind=inventory.NOTIFICATION_KIND)
    people = {f.entry.holder.iin for f in campaign.findings.select_related("entry__holder")}
    assert set(sent.values_list("person_iin", flat=True)) == people
    for iin in people:
        assert sorted(sent.filter(person_iin=iin).values_list("channel", flat=True)) == ["cabinet", "email", "sms"]
    body = sent.get(person_iin=MOVED, channel="cabinet").body
    assert "/cabinet/inventory/" in body and "Shymkent" in body


def test_a_crash_mid_way_resumes_from_the_resume_point(department, users, places):
    with TestCase.captureOnCommitCallbacks(execute=False):  # the worker "dies": the outbox message is not run
        campaign = inventory.start_campaign(department.provider, users["admin"], year=2026,
                                            response_due=timezone.localdate() + timedelta(days=30))
    message = OutboxMessage.objects.get(topic=inventory.RUN_TOPIC)
    assert message.delivered_at is None

    with on_commit():
        inventory.run_campaign(campaign.pk, batch=4, max_batches=1)  # one batch commits, then the crash
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING and campaign.checked == 4
    assert campaign.last_entry_id == sorted(e for e, *_ in snapshot(department))[3]
    partial = findings(campaign)

    with on_commit():
        inventory.run_campaign(campaign.pk, batch=4)  # the relay or the "Resume" button
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.REVIEW and campaign.checked == 10
    assert partial <= findings(campaign) == expected_findings(places)

    # the original message, delivered late, finds the campaign finished and changes nothing
    with on_commit():
        assert deliver(message.pk)
    assert findings(campaign) == expected_findings(places)


def test_without_eager_celery_each_batch_is_its_own_message(department, users, places, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with TestCase.captureOnCommitCallbacks(execute=False):
        campaign = inventory.start_campaign(department.provider, users["admin"], year=2026,
                                            response_due=timezone.localdate() + timedelta(days=30))
    inventory.BATCH, old = 4, inventory.BATCH
    try:
        delivered = 0
        while (message := OutboxMessage.objects.filter(topic=inventory.RUN_TOPIC, delivered_at__isnull=True).first()):
            with TestCase.captureOnCommitCallbacks(execute=False):
                assert deliver(message.pk)
            delivered += 1
    finally:
        inventory.BATCH = old
    campaign.refresh_from_db()
    assert delivered == 3  # 4 + 4 + 2 places
    assert campaign.status == CampaignStatus.REVIEW and findings(campaign) == expected_findings(places)


def test_one_campaign_per_provider_and_year_and_a_future_deadline(department, users, places):
    start(department, users, year=2026)
    with pytest.raises(ServiceError, match="already been started"):
        start(department, users, year=2026)
    with pytest.raises(ServiceError, match="future"):
        start(department, users, year=2027, days=0)
    with pytest.raises(NotPermitted):
        inventory.start_campaign(department.provider, users["head"], year=2027, response_due=date(2099, 1, 1))
    other_admin = type(users["admin"]).objects.create(username="admin-aktobe", role="administrator",
                                                       provider=department.other_provider)
    with pytest.raises(NotPermitted):
        inventory.start_campaign(department.provider, other_admin, year=2027, response_due=date(2099, 1, 1))
    # another provider has its own inventory for the same year
    with on_commit():
        theirs = inventory.start_campaign(department.other_provider, other_admin, year=2026,
                                          response_due=date(2099, 1, 1))
    theirs.refresh_from_db()
    assert theirs.checked == 1 and theirs.findings.get().kind == FindingKind.DECEASED


def _finding(campaign, iin):
    return campaign.findings.select_related("entry__holder", "campaign").get(entry__holder__iin=iin)


def _user_for(iin, username):
    from accounts.models import Role, User

    return User.objects.create(username=username, role=Role.APPLICANT, iin=iin)


def test_the_holder_answers_before_the_deadline_and_not_after(department, users, places):
    campaign = start(department, users)
    finding = _finding(campaign, MOVED)
    holder = _user_for(MOVED, "moved")

    with pytest.raises(ServiceError, match="Describe"):
        inventory.answer_finding(finding, holder, choice=inventory.ANSWER_CHANGED, answer="  ")
    with pytest.raises(NotPermitted):
        inventory.answer_finding(finding, users["citizen"], choice=inventory.ANSWER_STILL_VALID, answer="")

    scan = pdf_scan("registration.pdf")
    answered = inventory.answer_finding(finding, holder, choice=inventory.ANSWER_CHANGED,
                                        answer="I moved back to Almaty in October.", document=scan)
    assert answered.status == FindingStatus.ANSWERED and answered.answered_at
    attachment = answered.entry.application.attachments.get(pk=inventory.answer_attachment_id(answered))
    assert attachment.document_type.code == "address_registration"
    assert answered.facts["registered_settlement"] == "shymkent"  # the evidence stays as found

    InventoryCampaign.objects.filter(pk=campaign.pk).update(response_due=timezone.localdate() - timedelta(days=1))
    late = _finding(campaign, OWNS_HERE)
    with pytest.raises(ServiceError, match="time to answer ended"):
        inventory.answer_finding(late, _user_for(OWNS_HERE, "owner"), choice=inventory.ANSWER_STILL_VALID, answer="")
    late.refresh_from_db()
    assert late.status == FindingStatus.OPEN and not late.answered_at


def test_dismiss_needs_a_comment_and_manage_queue(department, users, places):
    campaign = start(department, users)
    finding = _finding(campaign, STATE_HOUSING)
    with pytest.raises(ServiceError, match="why"):
        inventory.dismiss_finding(finding, users["admin"], "   ")
    with pytest.raises(NotPermitted):
        inventory.dismiss_finding(finding, users["head"], "no")
    done = inventory.dismiss_finding(finding, users["admin"], "The tenancy ended; the registry is behind.")
    assert done.status == FindingStatus.DISMISSED and done.resolved_by == users["admin"]
    with pytest.raises(ServiceError, match="already been decided"):
        inventory.dismiss_finding(finding, users["admin"], "again")
    assert QueueEntry.objects.get(pk=finding.entry_id).active


def test_propose_removal_from_a_finding_goes_through_the_removal_flow(department, users, places):
    campaign = start(department, users)
    finding = _finding(campaign, DECEASED)
    fields = dict(reason="The individuals database records the death.", legal_basis=str(inventory.LEGAL_BASIS),
                  effective_date=date(2025, 10, 2))
    scan = pdf_scan("extract.pdf")
    with pytest.raises(ServiceError, match="after they answer"):  # the person is heard first
        inventory.propose_removal_from_finding(finding, users["admin"], document=scan, **fields)

    InventoryCampaign.objects.filter(pk=campaign.pk).update(response_due=timezone.localdate() - timedelta(days=1))
    with pytest.raises(NotPermitted):
        inventory.propose_removal_from_finding(finding, users["head"], document=scan, **fields)
    request = inventory.propose_removal_from_finding(finding, users["admin"], document=scan, **fields)

    assert request.ground == RemovalGround.DEATH and request.finding_id == finding.pk
    assert request.status == RequestStatus.PROPOSED and request.proposed_by == users["admin"]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMOVAL_PROPOSED
    entry = QueueEntry.objects.get(pk=finding.entry_id)
    assert entry.active and entry.status == EntryStatus.REGISTERED  # still in the queue until a second person approves

    # a finding with no suggested ground needs one chosen; a pending place goes through its case instead
    unknown = _finding(campaign, synthetic_person(3).iin)
    with pytest.raises(ServiceError, match="Choose a removal ground"):
        inventory.propose_removal_from_finding(unknown, users["admin"], document=scan, **fields)
    with pytest.raises(ServiceError, match="registered place"):
        inventory.propose_removal_from_finding(unknown, users["admin"], ground=RemovalGround.FALSE_INFORMATION,
                                               document=scan, **fields)


def test_close_waits_for_answers_and_decisions_then_removes_nobody(department, users, places):
    campaign = start(department, users)
    with pytest.raises(ServiceError, match="still open"):
        inventory.close_campaign(campaign, users["admin"])
    finding = _finding(campaign, MOVED)
    inventory.answer_finding(finding, _user_for(MOVED, "moved"), choice=inventory.ANSWER_STILL_VALID, answer="")
    InventoryCampaign.objects.filter(pk=campaign.pk).update(response_due=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ServiceError, match="answered findings"):
        inventory.close_campaign(campaign, users["admin"])
    inventory.dismiss_finding(finding, users["admin"], "Registered in Almaty again (certificate attached).")
    before = snapshot(department)
    closed = inventory.close_campaign(campaign, users["admin"])
    assert closed.status == CampaignStatus.CLOSED
    assert snapshot(department) == before
    assert campaign.findings.filter(status=FindingStatus.OPEN).count() == 4  # listed as unanswered
    with pytest.raises(ServiceError, match="already closed"):
        inventory.close_campaign(campaign, users["admin"])


def test_the_simulator_answers_for_benchmark_iins_only():
    registry = get_individuals_registry()
    synthetic = registry.find_person(benchmark_person().iin)
    assert synthetic and synthetic.surname == "Synthetic" and synthetic.alive
    assert synthetic.birth_date == date(1984, 4, 4) and synthetic.sex == "M"
    assert registry.find_person(stranger().iin) is None
    assert registry.find_person(make_iin(date(1984, 4, 4), "M", 8999)) is None
    assert registry.find_person("991214326103").died_on == date(2025, 10, 2)
