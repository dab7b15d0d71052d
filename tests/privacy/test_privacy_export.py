"""The citizen's "My data" download: everything about them, nothing about anyone else, only for themself, logged,
and in a number of queries that does not grow with their cases."""

import hashlib
import io
import json
import zipfile
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from applications.models import FamilyMember
from applications.services.review import withdraw
from audit.models import AuditEvent
from audit.services import record_event
from privacy.services.export import export_personal_data
from tests.factories import CITIZEN_IIN, file_case
from tests.web.conftest import world  # noqa: F401  (the fixture: cases of two citizens, branches and executors)
from tests.web.web_support import PDF_BYTES, adults, attach_scan, synthetic_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]

URL = "privacy:my_data"


def _download(client, language="en"):
    client.cookies["kezek_language"] = language
    response = client.post(reverse(URL), {"confirm": "on"})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"] and ".zip" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    return body, zipfile.ZipFile(io.BytesIO(body))


def _family(case, n, relation="child"):
    record = synthetic_person(n)
    return FamilyMember.objects.create(application=case, relation=relation, iin=record.iin,
                                       full_name=f"{record.surname} {record.given_name}", birth_date=record.birth_date)


def test_the_export_holds_the_persons_data_and_nobody_elses(world, client):  # noqa: F811
    own, other = world.cases["portal_case"], world.cases["other_citizen_case"]
    own_child = _family(own, 1)
    other_child = _family(other, 2)
    clerk = world.users["clerk"]
    record_event(actor=clerk, action="attachment.viewed", obj=world.attachments["portal_case"],
                 data={"via": "test", "subject": "CN=ОФИЦЕРОВ Бақыт"})  # an official's certificate: never exported
    record_event(actor=clerk, action="attachment.viewed", obj=world.attachments["other_citizen_case"],
                 data={"via": "test"})
    client.force_login(world.users["citizen"], backend="accounts.backends.IinOrUsernameBackend")

    raw, archive = _download(client)
    names = set(archive.namelist())
    data = json.loads(archive.read("data.json"))

    assert data["format"] == "kezek-personal-data/1" and data["language"] == "en"
    assert data["account"]["iin"] == CITIZEN_IIN and data["person"]["iin"] == CITIZEN_IIN
    assert [a["number"] for a in data["applications"]] == [own.number]
    case = data["applications"][0]
    assert case["state"] == own.state and case["contact_phone"] == own.contact_phone
    assert [m["iin"] for m in case["family_members"]] == [own_child.iin]
    assert {c["kind"] for c in case["consents"]} == {"property_check", "personal_data", "publication"}
    assert all(c["given_at"] for c in case["consents"])
    assert {"registered", "in_review"} <= {e["to_state"] for e in case["timeline"]}
    assert case["complaints"][0]["text"] == "No answer yet."
    assert case["queue_place"]["status"] == "pending" and case["queue_place"]["number_now"] >= 1
    assert case["queue_place"]["log_events"][0]["kind"] == "entered"
    # the scan and the receipt travel as files, byte for byte
    scan = world.attachments["portal_case"]
    (listed_scan,) = [a for a in case["attachments"] if a["id"] == scan.pk]
    assert archive.read(listed_scan["file"]) == PDF_BYTES
    receipt = world.receipts["portal_case"]
    (listed_receipt,) = [d for d in case["issued_documents"] if d["number"] == receipt.number]
    assert hashlib.sha256(archive.read(listed_receipt["file"])).hexdigest() == receipt.sha256
    # the refusal-to-accept receipt issued to the citizen without a case, and the messages sent to them
    assert [d["number"] for d in data["issued_documents_without_case"]] == [world.refusals["refusal_own"].number]
    assert data["notifications"] and {m["channel"] for m in data["notifications"]} >= {"cabinet"}
    # audit events about the citizen's objects, staff by role only
    actions = {(e["action"], e["object_type"], e["object_id"], e["by"]) for e in data["audit_events"]}
    assert ("attachment.viewed", "applications.attachment", str(scan.pk), "clerk") in actions
    assert ("application.register", "applications.application", str(own.pk), "clerk") in actions
    assert ("attachment.viewed", "applications.attachment", str(world.attachments["other_citizen_case"].pk),
            "clerk") not in actions
    assert all(e["by"] in {"you", "system", "applicant", "operator", "clerk", "head", "executor", "administrator",
                           "auditor"} for e in data["audit_events"])
    assert "README.txt" in names and "Your personal data in Kezek" in archive.read("README.txt").decode()
    assert data["files_missing"] == []

    # nothing of the other citizen anywhere in the archive: not their IIN, name, case or family member
    everything = b"".join(archive.read(n) for n in names).decode("utf-8", "replace")
    other_person = other.applicant
    assert "ОФИЦЕРОВ" not in everything
    for secret in (other_person.iin, other_person.surname, other.number, other_child.iin, other_child.full_name,
                   world.receipts["other_citizen_case"].number,
                   world.refusals["refusal_other"].number):
        assert secret not in everything, secret

    # the download is in the audit log, with the archive's digest
    event = AuditEvent.objects.get(action="privacy.data_exported")
    assert event.actor == world.users["citizen"] and event.object_id == str(own.applicant_id)
    assert event.data["sha256"] == hashlib.sha256(raw).hexdigest() and event.data["applications"] == 1


def test_another_citizen_gets_only_their_own_data(world, client):  # noqa: F811
    client.force_login(world.users["other_citizen"], backend="accounts.backends.IinOrUsernameBackend")
    _raw, archive = _download(client)
    data = json.loads(archive.read("data.json"))
    assert [a["number"] for a in data["applications"]] == [world.cases["other_citizen_case"].number]
    everything = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8", "replace")
    assert CITIZEN_IIN not in everything and world.cases["portal_case"].number not in everything
    assert world.cases["portal_case"].applicant.surname not in everything


@pytest.mark.parametrize("who", ["operator", "clerk", "head", "executor", "admin", "auditor"])
def test_staff_cannot_download(world, client, who):  # noqa: F811
    client.force_login(world.users[who], backend="accounts.backends.IinOrUsernameBackend")
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {"confirm": "on"}).status_code == 403
    assert not AuditEvent.objects.filter(action="privacy.data_exported").exists()
    with pytest.raises(PermissionDenied):
        export_personal_data(world.users[who], language="en")


def test_anonymous_is_sent_to_login(world, client):  # noqa: F811
    for response in (client.get(reverse(URL)), client.post(reverse(URL), {"confirm": "on"})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert not AuditEvent.objects.filter(action="privacy.data_exported").exists()


def test_the_page_explains_and_asks_for_confirmation(world, client):  # noqa: F811
    client.force_login(world.users["citizen"], backend="accounts.backends.IinOrUsernameBackend")
    client.cookies["kezek_language"] = "en"
    cabinet = client.get(reverse("applications:cabinet")).content.decode()
    assert reverse(URL) in cabinet
    page = client.get(reverse(URL))
    assert page.status_code == 200
    text = page.content.decode()
    assert "My data" in text and "erased 5 years after the refusal" in text and "3 years after the withdrawal" in text
    refused = client.post(reverse(URL), {})
    assert refused.status_code == 400
    assert "Please confirm that you understand what the file contains." in refused.content.decode()
    assert not AuditEvent.objects.filter(action="privacy.data_exported").exists()


def test_the_readme_is_in_the_chosen_language(world):  # noqa: F811
    with translation.override("en"):
        archive = export_personal_data(world.users["citizen"], language="en")
    readme = zipfile.ZipFile(archive.file).read("README.txt").decode()
    assert "Prepared on" in readme and "{%" not in readme and "&#x27;" not in readme


# --- query count --------------------------------------------------------------------------------------------------

# session, user, the person and their places (access), the cases and one query per kind of record hanging off them,
# loose receipts, drafts, representations, messages, the number of each active place, audit events, the log INSERT
EXPORT_MAX_QUERIES = 34

def _rich_closed_case(department, users, person, n):
    """A withdrawn case with a scan, a family member, its timeline, receipt, notifications, log and audit events."""
    case = file_case(department, users["operator"], person=person)
    attach_scan(case, users["operator"])
    withdraw(case, users["operator"], reason=f"Written request no. {n}")  # the place is released, the person told
    _family(case, 100 + n)
    return case


def test_the_export_query_count_does_not_grow_with_cases(department, users, login, django_assert_max_num_queries):
    citizen = next(p for p in adults() if p.iin == CITIZEN_IIN)
    # one active case with a place (another department: closed cases pile up with the first one)
    file_case(department, users["operator"], person=citizen, provider=department.other_provider)
    client = login(users["citizen"])
    _rich_closed_case(department, users, citizen, 0)
    client.post(reverse(URL), {"confirm": "on"})  # warm caches (session, content types)
    with django_assert_max_num_queries(EXPORT_MAX_QUERIES) as one:
        _download(client)
    for n in range(1, 6):
        _rich_closed_case(department, users, citizen, n)
    with django_assert_max_num_queries(EXPORT_MAX_QUERIES) as six:
        _raw, archive = _download(client)
    assert len(json.loads(archive.read("data.json"))["applications"]) == 7
    assert len(six.captured_queries) == len(one.captured_queries), "\n".join(q["sql"] for q in six.captured_queries)


def test_a_citizen_without_any_case_gets_their_account(department, users, client):
    from tests.factories import UserFactory

    lonely = UserFactory(username="lonely", role="applicant", iin=synthetic_person(7).iin, first_name="Айгүл")
    client.force_login(lonely, backend="accounts.backends.IinOrUsernameBackend")
    _raw, archive = _download(client)
    data = json.loads(archive.read("data.json"))
    assert data["account"]["given_name"] == "Айгүл" and data["person"] is None and data["applications"] == []
    assert date.fromisoformat(data["generated_at"][:10])


def test_the_page_states_the_configured_periods(world, client, settings):  # noqa: F811
    settings.KEZEK_RETENTION_REFUSED_DAYS, settings.KEZEK_RETENTION_WITHDRAWN_DAYS = 365, 90
    client.force_login(world.users["citizen"], backend="accounts.backends.IinOrUsernameBackend")
    client.cookies["kezek_language"] = "en"
    text = client.get(reverse(URL)).content.decode()
    assert "erased 1 year after the refusal" in text and "withdrawn, 90 days after the withdrawal" in text
