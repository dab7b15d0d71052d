"""Personal data (issue 8): every staff read of someone's data leaves one audit event; IINs are shown in full only
where the role handles that person, masked in lists, and never published.

Decisions (accounts.access.can_see_full_iin, audit.services.record_staff_read):
  * a staff page that shows personal data writes exactly one AuditEvent per view (actor, action, object, client IP);
  * a citizen reading their own case, documents and scans writes none (access already limits them to their own);
  * the case page, the operator's pages and the executor's review print the IIN in full; lists print it masked
    (birth part and the last two digits); published lists carry no IIN at all, not even masked.
"""

import csv
import io
import json
from pathlib import Path

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import resolve, reverse

from accounts.access import IIN_PLACES, can_see_full_iin
from accounts.models import Role
from applications.models import Channel
from applications.templatetags.kezek import masked_iin
from audit.models import AuditEvent
from tests.reliability_figures import tally_figures
from tests.web.conftest import world  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

STAFF = ["clerk", "head", "executor", "admin", "auditor"]


def _as(user, **extra) -> Client:
    client = Client(**extra)
    client.force_login(user, backend="accounts.backends.IinOrUsernameBackend")
    return client


def _new_events(call):
    """(response, the audit events the call wrote)."""
    before = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    response = call()
    return response, list(AuditEvent.objects.filter(id__gt=before).order_by("id"))


def _one_read(call, *, actor, action, obj, status=200):
    response, events = _new_events(call)
    assert response.status_code == status, response.status_code
    assert [(e.action, e.actor_id) for e in events] == [(action, actor.pk)], [(e.action, e.actor_id) for e in events]
    event = events[0]
    object_type, object_id = obj if isinstance(obj, tuple) else (obj._meta.label_lower, str(obj.pk))
    assert (event.object_type, event.object_id) == (object_type, object_id)
    assert event.actor_role == actor.role
    tally_figures("personal_data", add={"staff_reads_checked": 1},
                  distinct={"pages_with_staff_reads_logged": resolve(response.wsgi_request.path).view_name,
                            "staff_roles_logged": actor.role})
    return response, event


def _html(response) -> str:
    return response.content.decode()


def _masked_not_full(html: str, iin: str, where: str):
    assert iin not in html, f"{where}: the full IIN {iin} is printed"
    assert masked_iin(iin) in html, f"{where}: the masked IIN {masked_iin(iin)} is not shown (the test checks nothing)"
    tally_figures("personal_data", add={"list_views_masked": 1}, distinct={"lists_masked": where.split(" (")[0]})


# --- the one decision ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", Role.values)
def test_full_iin_only_on_case_pages_and_never_in_lists_or_public(users, role):
    user = next(u for u in users.values() if u.role == role)
    assert can_see_full_iin(user, "case") is True
    assert can_see_full_iin(user, "list") is False
    assert can_see_full_iin(user, "public") is False


def test_full_iin_refused_to_anonymous_and_inactive_users_and_unknown_places(users):
    from django.contrib.auth.models import AnonymousUser

    assert not any(can_see_full_iin(AnonymousUser(), place) for place in IIN_PLACES)
    assert not can_see_full_iin(None, "case")
    clerk = users["clerk"]
    clerk.is_active = False
    assert not can_see_full_iin(clerk, "case")
    with pytest.raises(ValueError):
        can_see_full_iin(users["head"], "dashboard")


# --- every staff read logged ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("role_user", STAFF)
def test_staff_case_page_writes_one_read_event(world, role_user):  # noqa: F811
    case = world.cases["portal_case"]
    user = world.users[role_user]
    client = _as(user, REMOTE_ADDR="10.20.30.40")
    _, event = _one_read(lambda: client.get(reverse("applications:staff_case", args=[case.number])),
                         actor=user, action="person.viewed", obj=case)
    assert event.data == {"iin": case.applicant.iin, "via": "case_page"}
    assert event.ip_address == "10.20.30.40"


def test_every_view_is_logged_again(world):  # noqa: F811
    case = world.cases["portal_case"]
    client = _as(world.users["clerk"])
    url = reverse("applications:staff_case", args=[case.number])
    for _ in range(3):
        client.get(url)
    views = AuditEvent.objects.filter(action="person.viewed", object_id=str(case.pk), actor=world.users["clerk"])
    assert views.count() == 3


def test_behind_the_proxy_the_event_keeps_the_client_address(world, settings):  # noqa: F811
    """The address is read as everywhere else (core.client_ip): the right-most X-Forwarded-For hop of our proxy."""
    settings.KEZEK_TRUSTED_PROXIES = 1
    case = world.cases["portal_case"]
    client = _as(world.users["clerk"], REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    _, event = _one_read(lambda: client.get(reverse("applications:staff_case", args=[case.number])),
                         actor=world.users["clerk"], action="person.viewed", obj=case)
    assert event.ip_address == "203.0.113.9"


def test_a_bad_client_address_is_stored_as_unknown_not_a_500(world):  # noqa: F811
    case = world.cases["portal_case"]
    client = _as(world.users["clerk"], REMOTE_ADDR="not-an-address")
    _, event = _one_read(lambda: client.get(reverse("applications:staff_case", args=[case.number])),
                         actor=world.users["clerk"], action="person.viewed", obj=case)
    assert event.ip_address is None


def test_a_refused_case_page_writes_nothing(world):  # noqa: F811
    other = world.cases["other_citizen_case"]
    response, events = _new_events(lambda: _as(world.users["clerk"]).get(reverse("applications:staff_case",
                                                                                 args=[other.number])))
    assert response.status_code == 404 and events == []


@pytest.mark.parametrize("params, expected", [
    ({}, {"page": 1, "state": "", "list": None}),
    ({"state": "in_review", "page": "7"}, {"page": 1, "state": "in_review", "list": None}),
])
def test_inbox_writes_one_event_per_page_view_not_per_row(world, params, expected):  # noqa: F811
    clerk = world.users["clerk"]
    response, event = _one_read(lambda: _as(clerk).get(reverse("applications:inbox"), params),
                                actor=clerk, action="inbox.viewed", obj=("provider", str(clerk.provider_id)))
    assert len(response.context["page"].object_list) >= 2  # several rows, still one event
    assert event.data == expected


def test_inbox_event_names_the_queue_list_filter(world):  # noqa: F811
    clerk = world.users["clerk"]
    list_id = world.cases["portal_case"].queue_list_id
    _, event = _one_read(lambda: _as(clerk).get(reverse("applications:inbox"), {"list": list_id}),
                         actor=clerk, action="inbox.viewed", obj=("provider", str(clerk.provider_id)))
    assert event.data["list"] == list_id


def test_operator_case_page_writes_one_read_event(world):  # noqa: F811
    case = world.cases["centre_case"]
    operator = world.users["operator"]
    _, event = _one_read(lambda: _as(operator).get(reverse("applications:operator_case", args=[case.number])),
                         actor=operator, action="person.viewed", obj=case)
    assert event.data == {"iin": case.applicant.iin, "via": "operator_case"}


def test_operator_refusal_page_writes_one_read_event(world):  # noqa: F811
    receipt = world.refusals["refusal_own"]
    operator = world.users["operator"]
    _, event = _one_read(lambda: _as(operator).get(reverse("applications:operator_refusal", args=[receipt.number])),
                         actor=operator, action="document.viewed", obj=receipt)
    assert event.data == {"iin": receipt.person_iin, "via": "operator_refusal"}


def test_operator_lookup_of_a_person_writes_one_read_event(world):  # noqa: F811
    from tests.web.web_support import adults

    person = adults()[3]
    operator = world.users["operator"]
    _, event = _one_read(lambda: _as(operator).get(reverse("applications:operator_new"), {"iin": person.iin}),
                         actor=operator, action="person.viewed", obj=("person", person.iin))
    assert event.data == {"via": "operator_lookup"}


def test_operator_home_writes_one_read_event(world):  # noqa: F811
    operator = world.users["operator"]
    _one_read(lambda: _as(operator).get(reverse("applications:operator_home")), actor=operator,
              action="operator.home_viewed", obj=("service_centre", str(operator.service_centre_id)))


@pytest.mark.parametrize("role_user", STAFF)
def test_attachment_download_by_staff_writes_one_read_event(world, role_user):  # noqa: F811
    item = world.attachments["portal_case"]
    user = world.users[role_user]
    _, event = _one_read(lambda: _as(user).get(reverse("applications:attachment", args=[item.pk])),
                         actor=user, action="attachment.viewed", obj=item)
    assert event.data == {"application": item.application_id, "document_type": item.document_type_id}


@pytest.mark.parametrize("role_user", STAFF)
def test_issued_document_download_by_staff_writes_one_read_event(world, role_user):  # noqa: F811
    receipt = world.receipts["portal_case"]
    user = world.users[role_user]
    _, event = _one_read(lambda: _as(user).get(reverse("documents:download", args=[receipt.number])),
                         actor=user, action="document.viewed", obj=receipt)
    assert event.data == {"kind": receipt.kind, "iin": receipt.person_iin, "application": receipt.application_id}


def test_operator_download_of_a_refusal_receipt_writes_one_read_event(world):  # noqa: F811
    receipt = world.refusals["refusal_own"]
    operator = world.users["operator"]
    _one_read(lambda: _as(operator).get(reverse("documents:download", args=[receipt.number])),
              actor=operator, action="document.viewed", obj=receipt)


def test_a_citizen_reading_their_own_data_writes_no_read_event(world):  # noqa: F811
    """Decision: citizens are not logged reading their own case, receipt, refusal receipt and scan."""
    citizen = _as(world.users["citizen"])
    case = world.cases["portal_case"]
    for url in (reverse("applications:case_status", args=[case.number]),
                reverse("documents:download", args=[world.receipts["portal_case"].number]),
                reverse("documents:download", args=[world.refusals["refusal_own"].number]),
                reverse("applications:attachment", args=[world.attachments["portal_case"].pk])):
        response, events = _new_events(lambda: citizen.get(url))
        assert response.status_code == 200, url
        assert [e.action for e in events if e.action.endswith("viewed")] == [], url
        tally_figures("personal_data", add={"citizen_own_reads_not_logged": 1})


@pytest.fixture
def centre_offer(department, users):
    """An open housing offer on a case entered at the operator's branch (con-1)."""
    from allocation.models import Offer
    from allocation.services import offers, rounds
    from tests.allocation.allocation_support import dwelling, general_list, place, round_with, run_on_commit

    admin = users["admin"]
    paper = place(general_list(department), admin, channel=Channel.SERVICE_CENTRE, service_centre=department.centre)
    round_ = round_with(department, admin, [dwelling(department, admin, area="38", rooms=2)])
    rounds.propose_round(round_, admin)
    run_on_commit(lambda: offers.send_offers(round_, admin))
    offer = Offer.objects.select_related("entry__holder").get(round=round_)
    assert offer.entry_id == paper.pk
    return offer


def test_allocation_centre_pages_write_one_read_event_and_mask_the_list(users, centre_offer):
    operator = users["operator"]
    iin = centre_offer.entry.holder.iin
    response, _ = _one_read(lambda: _as(operator).get(reverse("allocation:centre")), actor=operator,
                            action="allocation.centre_offers_viewed",
                            obj=("service_centre", str(operator.service_centre_id)))
    _masked_not_full(_html(response), iin, "ЦОН offers list")
    response, event = _one_read(lambda: _as(operator).get(reverse("allocation:centre_offer", args=[centre_offer.pk])),
                                actor=operator, action="allocation.offer_viewed", obj=centre_offer)
    assert event.data == {"application": centre_offer.entry.application_id, "iin": iin, "via": "service_centre"}
    assert iin in _html(response)  # the operator checks the identity document against it


# --- the register and the complaints: a table of pages, one event each, with the client address ---------------------

@pytest.fixture
def register(department, users):
    """Three places on the department's general list; a removal proposed on the first, with its document."""
    from types import SimpleNamespace

    from queues.services import removals
    from tests.allocation.allocation_support import general_list, place
    from tests.queues.queue_register_support import pdf, yesterday

    queue_list = general_list(department)
    places = [place(queue_list, users["admin"]) for _ in range(3)]
    removal = removals.propose_removal(places[0], users["admin"], ground="MOVED_AWAY", reason="Moved away.",
                                       legal_basis="Law on housing relations, art. 73", document=pdf(),
                                       effective_date=yesterday())
    return SimpleNamespace(queue_list=queue_list, places=places, removal=removal)


# action → (the fixture it needs, the roles that read it, what the read is: fixture, user → url, object, data)
READ_PAGES = {
    "queue.list_viewed": ("register", ["clerk", "auditor"], lambda r, user: (
        reverse("queues_register:list", args=[r.queue_list.code]), r.queue_list, {"page": 1})),
    "queue.entry_viewed": ("register", ["head", "executor"], lambda r, user: (
        reverse("queues_register:entry", args=[r.places[1].application.number]), r.places[1].application,
        {"holder_iin": r.places[1].holder.iin, "via": "queue_entry"})),
    "queue.request_document_viewed": ("register", ["admin", "head"], lambda r, user: (
        reverse("queues_register:request_document", args=["removal", r.removal.pk]), r.removal, {})),
    # `page` of the department's list, `shown` how many complaints it printed
    "complaints.viewed": ("world", ["clerk", "auditor"], lambda w, user: (
        reverse("applications:complaints"), ("provider", str(user.provider_id)), {"page": 1, "shown": 1})),
    "complaint.viewed": ("world", ["clerk", "head"], lambda w, user: (
        reverse("applications:complaint", args=[w.complaints["complaint_own"].number]), w.complaints["complaint_own"],
        {"application": w.complaints["complaint_own"].application_id})),
}


@pytest.mark.parametrize("action, role_user", [(a, r) for a, (_, roles, _) in READ_PAGES.items() for r in roles])
def test_register_and_complaint_pages_write_one_read_event_with_the_address(request, users, action, role_user):
    fixture, _, read = READ_PAGES[action]
    user = users[role_user]
    url, obj, data = read(request.getfixturevalue(fixture), user)
    _, event = _one_read(lambda: _as(user, REMOTE_ADDR="10.20.30.40").get(url), actor=user, action=action, obj=obj)
    assert event.data == data
    assert event.ip_address == "10.20.30.40"


def test_complaint_list_event_counts_the_rows_it_printed(world):  # noqa: F811
    """Another department's complaint is neither printed nor counted."""
    clerk = world.users["clerk"]
    response, event = _one_read(lambda: _as(clerk).get(reverse("applications:complaints")), actor=clerk,
                                action="complaints.viewed", obj=("provider", str(clerk.provider_id)))
    html = _html(response)
    assert world.complaints["complaint_own"].number in html
    assert world.complaints["complaint_other"].number not in html
    assert event.data == {"page": 1, "shown": 1}


def test_answering_a_complaint_is_not_logged_as_a_read(world):  # noqa: F811
    """Only the page view is a read; a refused POST (the form is empty) writes no complaint.viewed."""
    complaint = world.complaints["complaint_own"]
    response, events = _new_events(lambda: _as(world.users["head"]).post(
        reverse("applications:complaint", args=[complaint.number]), {"answer": ""}))
    assert response.status_code == 200
    assert "complaint.viewed" not in [e.action for e in events]


# --- IINs: full to the handlers, masked in lists -------------------------------------------------------------------

@pytest.mark.parametrize("role_user", ["clerk", "head", "executor", "admin", "auditor"])
def test_case_page_shows_the_iins_in_full_to_its_handlers(world, role_user):  # noqa: F811
    case = world.cases["portal_case"]
    html = _html(_as(world.users[role_user]).get(reverse("applications:staff_case", args=[case.number])))
    assert case.applicant.iin in html
    for member in case.family_members.all():
        assert member.iin in html


def test_operator_pages_show_the_iin_in_full(world):  # noqa: F811
    from tests.web.web_support import adults

    operator = _as(world.users["operator"])
    case = world.cases["centre_case"]
    assert case.applicant.iin in _html(operator.get(reverse("applications:operator_case", args=[case.number])))
    person = adults()[3]
    assert person.iin in _html(operator.get(reverse("applications:operator_new"), {"iin": person.iin}))


@pytest.mark.parametrize("role_user", STAFF)
def test_inbox_masks_the_iins(world, role_user):  # noqa: F811
    html = _html(_as(world.users[role_user]).get(reverse("applications:inbox")))
    shown = world.cases["portal_case"]
    _masked_not_full(html, shown.applicant.iin, f"inbox ({role_user})")
    for case in world.cases.values():
        assert case.applicant.iin not in html


@pytest.mark.parametrize("role_user", ["clerk", "head", "admin", "auditor"])
def test_complaint_list_masks_the_iins(world, role_user):  # noqa: F811
    html = _html(_as(world.users[role_user]).get(reverse("applications:complaints")))
    _masked_not_full(html, world.cases["portal_case"].applicant.iin, f"complaints ({role_user})")


def test_operator_home_masks_the_iins(world):  # noqa: F811
    html = _html(_as(world.users["operator"]).get(reverse("applications:operator_home")))
    _masked_not_full(html, world.cases["centre_case"].applicant.iin, "operator home: cases")
    _masked_not_full(html, world.refusals["refusal_own"].person_iin, "operator home: refusals to accept")


@pytest.mark.parametrize("role_user", ["clerk", "head", "executor", "admin", "auditor"])
def test_queue_register_list_masks_the_iins(department, users, role_user):
    from tests.allocation.allocation_support import general_list, place

    queue_list = general_list(department)
    places = [place(queue_list, users["admin"]) for _ in range(3)]
    html = _html(_as(users[role_user]).get(reverse("queues_register:list", args=[queue_list.code])))
    for entry in places:
        _masked_not_full(html, entry.holder.iin, f"register list ({role_user})")


def test_citizen_sees_their_own_iin_in_full(world):  # noqa: F811
    citizen = world.users["citizen"]
    html = _html(_as(citizen).get(reverse("applications:apply_step", args=["person"])))
    assert citizen.iin in html


# --- published lists: no IIN, not even masked ----------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def test_published_list_files_and_pages_contain_no_iin(client, department, users, media, monkeypatch):
    """A real publication (publish_list) after registrations, a housing and a succession: CSV, PDF rows, log,
    manifest and the public pages carry initials and numbers only."""
    from applications.models import Person
    from queues import listpdf
    from queues.models import SnapshotKind, SnapshotStatus
    from queues.services import entries, publication
    from tests.queue_places import new_list, new_place

    pdf_input = []
    real_render = listpdf.render_list_pdf

    def capture(path, meta, rows, **kwargs):
        rows = list(rows)
        pdf_input.append((meta, rows))
        return real_render(path, meta, iter(rows), **kwargs)

    monkeypatch.setattr(listpdf, "render_list_pdf", capture)
    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"], surname="Жұмабаев", given_name="Серік") for _ in range(4)]
    for p in places:
        entries.register_entry(p.application)
    entries.house_entry(places[0], decision_number="HD-1")
    successor = Person.objects.create(iin="880101400123", surname="Жұмабаева", given_name="Айгүл",
                                      birth_date="1988-01-01", sex="F")
    entries.continue_entry(places[1], successor, request_id=1)
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED, snapshot.error
    iins = [p.holder.iin for p in places] + [successor.iin]

    files = {kind: (Path(media) / path).read_text("utf-8")
             for kind, path in (("csv", snapshot.csv_path), ("log", snapshot.log_path))}
    files["manifest"] = json.dumps(snapshot.manifest, ensure_ascii=False)
    files["pdf rows"] = repr(pdf_input)
    files["public list page"] = _html(client.get(reverse("queues_public:list",
                                                         args=[queue_list.provider.code, queue_list.code])))
    files["public index"] = _html(client.get(reverse("queues_public:index")))
    assert len(list(csv.reader(io.StringIO(files["csv"])))) == 1 + 3  # header + the three still in the queue
    assert places[2].application.number in files["public list page"]  # the page really shows the rows
    assert pdf_input and len(pdf_input[0][1]) == 3
    for where, content in files.items():
        for iin in iins:
            assert iin not in content, f"{where}: full IIN {iin}"
            assert masked_iin(iin) not in content, f"{where}: masked IIN {masked_iin(iin)}"
            assert iin[6:] not in content, f"{where}: IIN serial part of {iin}"
    tally_figures("personal_data", fixed={"published_outputs_without_iin": len(files)})
