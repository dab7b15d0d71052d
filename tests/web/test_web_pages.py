"""View tests of every page: the citizen's cabinet and online wizard, the ЦОН workstation, the staff inbox,
document downloads and checks, health, sign-in (with lockout), sign-out and the language switch.

Messages are compared with what gettext gives in the page's language, so the tests hold in kk, ru and en
whether or not a translation exists yet.
"""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.models import Role
from applications.models import (
    Application,
    ApplicationDraft,
    Attachment,
    CaseState,
    Category,
    DocumentType,
    Representative,
)
from audit.models import AuditEvent
from documents.models import DocumentKind, IssuedDocument
from tests.factories import CITIZEN_IIN, PASSWORD, file_case, intake_request
from tests.web.web_support import PDF_BYTES, PNG_BYTES, adults, advance, synthetic_person, valid_iin

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eds_not_required")]  # signing: tests/signatures/


def tr(msgid: str, lang: str = "kk", **params) -> str:
    """The message as the page shows it: translated into `lang`, HTML-escaped."""
    with translation.override(lang):
        text = gettext(msgid)
    return escape(text % params if params else text)


def text_of(response) -> str:
    return response.content.decode()


def page_lang(response) -> str:
    match = re.search(r'<html lang="([a-z-]+)"', text_of(response))
    return match.group(1) if match else ""


def step_url(step):
    return reverse("applications:apply_step", args=[step])


# ---------------------------------------------------------------- the citizen's cabinet and online application


REQUIRED_FOR_LARGE_FAMILY = ("identity_document", "address_registration", "no_housing_certificate", "category_certificate")


def _doc_type(code):
    return DocumentType.objects.get(code=code)


def fill_housing(client, department, category_code="LARGE_FAMILY"):
    response = client.post(
        step_url("housing"),
        {
            "settlement": department.settlement.pk,
            "fund": "communal",
            "category": Category.objects.get(code=category_code).pk,
        },
    )
    assert response.status_code == 302, text_of(response)
    assert response["Location"] == step_url("person")
    return response


def fill_person(client):
    response = client.post(step_url("person"), {"phone": "8 701 123 45 67", "email": "erlan@example.kz"})
    assert response.status_code == 302, text_of(response)
    assert response["Location"] == step_url("family")


def fill_family(client, spouse_iin="920703412013"):
    response = client.post(step_url("family"), {"action": "add", "iin": spouse_iin, "relation": "spouse"})
    assert response.status_code == 302, text_of(response)
    response = client.post(step_url("family"), {"action": "continue"})
    assert response["Location"] == step_url("documents")


def upload(client, code, content=PDF_BYTES, name="scan.pdf", content_type="application/pdf"):
    return client.post(
        step_url("documents"),
        {"action": "upload", "document_type": _doc_type(code).pk, "file": SimpleUploadedFile(name, content, content_type)},
    )


def fill_documents(client):
    for i, code in enumerate(REQUIRED_FOR_LARGE_FAMILY):
        if i % 2:
            response = upload(client, code, PNG_BYTES, "scan.png", "image/png")
        else:
            response = upload(client, code)
        assert response.status_code == 302, text_of(response)
    response = client.post(step_url("documents"), {"action": "continue"})
    assert response["Location"] == step_url("consents")


def fill_consents(client):
    response = client.post(step_url("consents"), {"property_check": "on", "personal_data": "on", "publication": "on"})
    assert response["Location"] == step_url("review")


def review_and_submit(client):
    review = client.get(step_url("review"))
    assert review.status_code == 200
    draft = review.context["draft"]
    version = review.context["form"].initial["draft_version"]
    submit_url = reverse("applications:apply_submit", args=[draft.pk])
    assert submit_url in text_of(review)
    return client.post(submit_url, {"draft_version": version}), submit_url, version


def apply_online(client, department):
    assert client.get(reverse("applications:apply_start"))["Location"] == step_url("housing")
    fill_housing(client, department)
    fill_person(client)
    fill_family(client)
    fill_documents(client)
    fill_consents(client)
    return review_and_submit(client)


def test_cabinet_without_cases_offers_to_apply(users, login):
    client = login(users["citizen"])
    response = client.get(reverse("applications:cabinet"))
    assert response.status_code == 200
    assert reverse("applications:apply_start") in text_of(response)
    assert tr("You have no applications yet.") in text_of(response)


def test_cabinet_lists_own_cases_only(world, login):
    client = login(world.users["citizen"])
    response = client.get(reverse("applications:cabinet"))
    assert world.cases["portal_case"].number in text_of(response)
    assert world.cases["other_citizen_case"].number not in text_of(response)
    assert world.cases["centre_case"].number not in text_of(response)


def test_online_application_wizard_end_to_end(department, users, login):
    client = login(users["citizen"])

    # 1. where and category
    assert client.get(reverse("applications:apply_start"))["Location"] == step_url("housing")
    page = client.get(step_url("housing"))
    assert page.status_code == 200
    assert department.settlement.name in text_of(page)
    missing = client.post(step_url("housing"), {"fund": "communal"})
    assert missing.status_code == 200 and missing.context["form"].errors["settlement"]
    fill_housing(client, department)

    # 2. the person's data come from the state database by IIN
    page = client.get(step_url("person"))
    assert page.status_code == 200
    assert CITIZEN_IIN in text_of(page) and "Серікбаев Ерлан Маратұлы" in text_of(page)
    bad_phone = client.post(step_url("person"), {"phone": "12345"})
    assert bad_phone.status_code == 200
    assert tr("Enter a Kazakhstan mobile number: +7 and 10 digits.") in text_of(bad_phone)
    fill_person(client)
    assert ApplicationDraft.objects.get(owner=users["citizen"]).data["person"]["phone"] == "+77011234567"

    # 3. family: own IIN refused, unknown IIN needs name and birth date, known IIN autofills
    own = client.post(step_url("family"), {"action": "add", "iin": CITIZEN_IIN, "relation": "spouse"})
    assert own.status_code == 200
    assert tr("This is your own IIN; add your family members here.") in text_of(own)
    stranger = valid_iin(date(1993, 3, 3), "4", 4321)
    unknown = client.post(step_url("family"), {"action": "add", "iin": stranger, "relation": "sibling"})
    assert unknown.status_code == 200
    assert tr("This IIN was not found in the state database; enter the full name and date of birth.") in text_of(unknown)
    bad_iin = client.post(step_url("family"), {"action": "add", "iin": "850615301237", "relation": "child"})
    assert tr("The IIN check digit is wrong; please check the number.") in text_of(bad_iin)
    added = client.post(step_url("family"), {"action": "add", "iin": "920703412013", "relation": "spouse"}, follow=True)
    assert "Серікбаева Айгүл" in text_of(added)
    assert tr("Family member added.") in text_of(added)
    assert client.post(step_url("family"), {"action": "continue"})["Location"] == step_url("documents")

    # 4. documents: the checklist, a refusal to continue without them, real scans accepted
    page = client.get(step_url("documents"))
    for code in REQUIRED_FOR_LARGE_FAMILY:
        assert escape(_doc_type(code).name) in text_of(page)
    blocked = client.post(step_url("documents"), {"action": "continue"})
    assert blocked.status_code == 200
    with translation.override("kk"):
        names = ", ".join(_doc_type(code).name for code in REQUIRED_FOR_LARGE_FAMILY)
    assert tr("Please upload: %(list)s.", list=names) in text_of(blocked)
    pdf = upload(client, "identity_document")
    assert pdf.status_code == 302
    png = upload(client, "address_registration", PNG_BYTES, "scan.png", "image/png")
    assert png.status_code == 302
    stored = {a.document_type.code: a for a in Attachment.objects.filter(draft__owner=users["citizen"])}
    assert stored["identity_document"].content_type == "application/pdf"
    assert stored["address_registration"].content_type == "image/png"
    assert stored["address_registration"].size == len(PNG_BYTES)
    # the scan is served back to its owner only, inert
    scan = client.get(reverse("applications:attachment", args=[stored["address_registration"].pk]))
    assert scan.status_code == 200 and b"".join(scan.streaming_content) == PNG_BYTES
    assert scan["X-Content-Type-Options"] == "nosniff" and "sandbox" in scan["Content-Security-Policy"]
    upload(client, "no_housing_certificate")
    upload(client, "category_certificate", PNG_BYTES, "cert.png", "image/png")
    assert client.post(step_url("documents"), {"action": "continue"})["Location"] == step_url("consents")

    # 5. consents: all three are required
    partial = client.post(step_url("consents"), {"property_check": "on", "personal_data": "on"})
    assert partial.status_code == 200
    assert tr("This consent is required to file an application.") in text_of(partial)
    fill_consents(client)

    # 6. review shows what will be filed, then submit
    review = client.get(step_url("review"))
    assert review.status_code == 200
    assert "Серікбаева Айгүл" in text_of(review) and "+77011234567" in text_of(review)
    response, submit_url, version = review_and_submit(client)
    assert response.status_code == 302
    case = Application.objects.get()
    assert response["Location"] == reverse("applications:submitted", args=[case.number])
    assert case.channel == "portal" and case.applicant.iin == CITIZEN_IIN
    assert case.family_members.get().iin == "920703412013"
    assert set(case.attachments.values_list("document_type__code", flat=True)) == set(REQUIRED_FOR_LARGE_FAMILY)

    # the confirmation page shows the case number and the receipt
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert case.number in text_of(confirmation)
    receipt = case.issued_documents.get(kind=DocumentKind.ACCEPTANCE_RECEIPT)
    assert reverse("documents:download", args=[receipt.number]) in text_of(confirmation)
    pdf = client.get(reverse("documents:download", args=[receipt.number]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    # a double click submits the same draft again: the same case, not a second one
    again = client.post(submit_url, {"draft_version": version})
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Application.objects.count() == 1

    # the cabinet and the status page show the case
    cabinet = client.get(reverse("applications:cabinet"))
    assert case.number in text_of(cabinet)
    status = client.get(reverse("applications:case_status", args=[case.number]))
    assert status.status_code == 200 and escape(case.get_state_display()) in text_of(status)


def test_wrong_file_type_is_rejected_with_a_translated_message(department, users, login):
    client = login(users["citizen"])
    client.cookies["kezek_language"] = "ru"
    client.get(reverse("applications:apply_start"))
    fill_housing(client, department)
    for name, content in (("scan.pdf", b"MZ\x90\x00 this is an executable"), ("notes.png", b"just some text")):
        response = upload(client, "identity_document", content, name, "application/pdf")
        assert response.status_code == 200
        assert page_lang(response) == "ru"
        assert tr("Only PDF, JPEG and PNG scans are accepted; this file is something else.", "ru") in text_of(response)
    active = upload(client, "identity_document", b"%PDF-1.4\n1 0 obj << /OpenAction 2 0 R >> endobj\n%%EOF")
    assert active.status_code == 200
    assert tr("This PDF contains scripts or embedded files and cannot be accepted.", "ru") in text_of(active)
    assert not Attachment.objects.exists()


def test_removing_a_scan_with_a_tampered_id_is_ignored(department, users, login):
    client = login(users["citizen"])
    client.get(reverse("applications:apply_start"))
    assert upload(client, "identity_document").status_code == 302
    for value in ("abc", "", "9" * 30, "-1"):
        response = client.post(step_url("documents"), {"action": "remove", "attachment": value})
        assert response.status_code == 302, value
    assert Attachment.objects.count() == 1
    scan = Attachment.objects.get()
    client.post(step_url("documents"), {"action": "remove", "attachment": str(scan.pk)})
    assert not Attachment.objects.exists()


def test_a_citizen_cannot_remove_another_citizens_scan(department, users, login):
    owner = login(users["citizen"])
    owner.get(reverse("applications:apply_start"))
    upload(owner, "identity_document")
    scan = Attachment.objects.get()
    intruder = login(users["other_citizen"])
    intruder.get(reverse("applications:apply_start"))
    intruder.post(step_url("documents"), {"action": "remove", "attachment": str(scan.pk)})
    assert Attachment.objects.filter(pk=scan.pk).exists()


def test_state_database_down_gives_a_clear_message(department, users, login, monkeypatch):
    """The individuals database not answering is a translated message on every page that asks it, never a 500."""
    from eligibility.adapters.individuals import SimulatedIndividualsRegistry, StateSystemUnavailable

    def unavailable(self, iin):
        raise StateSystemUnavailable("timeout")

    message = tr("The state database did not answer. Please try again in a few minutes.")
    client = login(users["citizen"])
    client.get(reverse("applications:apply_start"))
    fill_housing(client, department)
    monkeypatch.setattr(SimulatedIndividualsRegistry, "find_person", unavailable)

    person = client.get(step_url("person"))
    assert person.status_code == 200 and message in text_of(person)
    family = client.post(step_url("family"), {"action": "add", "iin": "920703412013", "relation": "spouse"})
    assert family.status_code == 200 and message in text_of(family)
    review = client.get(step_url("review"))
    assert review.status_code == 200 and message in text_of(review)

    operator = login(users["operator"])
    response = operator.get(new_url(adults()[1].iin), follow=True)
    assert response.redirect_chain[-1][0] == reverse("applications:operator_home")
    assert message in text_of(response)
    assert not Application.objects.exists()


def test_submit_before_all_steps_is_refused(department, users, login):
    client = login(users["citizen"])
    client.get(reverse("applications:apply_start"))
    fill_housing(client, department)
    review = client.get(step_url("review"))
    assert tr("Some steps are not complete yet. Please fill them in first.") in text_of(review)
    draft = review.context["draft"]
    submit_url = reverse("applications:apply_submit", args=[draft.pk])
    response = client.post(submit_url, {"draft_version": draft.data["version"]}, follow=True)
    assert tr("Some steps are not complete yet. Please fill them in first.") in text_of(response)
    assert not Application.objects.exists()


def test_stale_submit_is_refused(department, users, login):
    client = login(users["citizen"])
    client.get(reverse("applications:apply_start"))
    fill_housing(client, department)
    fill_person(client)
    fill_consents(client)
    draft = ApplicationDraft.objects.get(owner=users["citizen"])
    response = client.post(reverse("applications:apply_submit", args=[draft.pk]), {"draft_version": "0"}, follow=True)
    assert tr("The application changed in another window. Please check your answers again.") in text_of(response)
    assert not Application.objects.exists()


def test_second_application_to_the_same_provider_shows_the_existing_case(department, users, login):
    client = login(users["citizen"])
    first, _, _ = apply_online(client, department)
    existing = Application.objects.get()
    assert first["Location"] == reverse("applications:submitted", args=[existing.number])

    second, _, _ = apply_online(client, department)
    assert second.status_code == 302
    assert second["Location"] == reverse("applications:case_status", args=[existing.number])
    shown = client.get(second["Location"])
    assert shown.status_code == 200 and existing.number in text_of(shown)
    assert tr("You already have an active application with this department. It is shown below.") in text_of(shown)
    assert Application.objects.count() == 1


def test_submit_of_another_citizens_draft_is_404(department, users, login):
    owner = login(users["citizen"])
    owner.get(reverse("applications:apply_start"))
    draft = ApplicationDraft.objects.get(owner=users["citizen"])
    intruder = login(users["other_citizen"])
    response = intruder.post(reverse("applications:apply_submit", args=[draft.pk]), {"draft_version": "1"})
    assert response.status_code == 404


def test_draft_scans_are_visible_to_their_owner_only(department, users, login, client):
    owner = login(users["citizen"])
    owner.get(reverse("applications:apply_start"))
    assert upload(owner, "identity_document").status_code == 302
    scan = Attachment.objects.get()
    url = reverse("applications:attachment", args=[scan.pk])
    assert owner.get(url).status_code == 200
    for name in ("other_citizen", "clerk", "operator", "auditor"):
        client.logout()
        assert login(users[name]).get(url).status_code == 404, name
    client.logout()
    assert client.get(url).status_code == 404


def test_case_pages_of_another_citizen_are_404(world, login):
    client = login(world.users["citizen"])
    other = world.cases["other_citizen_case"].number
    assert client.get(reverse("applications:case_status", args=[other])).status_code == 404
    assert client.get(reverse("applications:submitted", args=[other])).status_code == 404
    assert client.get(reverse("applications:case_status", args=["NO-SUCH"])).status_code == 404


# ---------------------------------------------------------------- the ЦОН operator's workstation


def operator_form(department, person=None, *, documents=REQUIRED_FOR_LARGE_FAMILY, **extra):
    data = {
        "settlement": department.settlement.pk,
        "fund": "communal",
        "category": Category.objects.get(code="LARGE_FAMILY").pk,
        "phone": "+77017654321",
        "email": "",
        "documents_received": [_doc_type(code).pk for code in documents],
        "property_check": "on",
        "personal_data": "on",
        "publication": "on",
        "family-TOTAL_FORMS": "0",
        "family-INITIAL_FORMS": "0",
        "family-MIN_NUM_FORMS": "0",
        "family-MAX_NUM_FORMS": "15",
    }
    data.update(extra)
    return data


def new_url(iin):
    return reverse("applications:operator_new") + f"?iin={iin}"


def test_operator_home(world, login):
    client = login(world.users["operator"])
    response = client.get(reverse("applications:operator_home"))
    assert response.status_code == 200
    page = text_of(response)
    assert world.cases["centre_case"].number in page  # entered at this branch
    assert world.cases["other_branch_case"].number not in page
    assert world.refusals["refusal_own"].number in page
    assert world.refusals["refusal_other"].number not in page


@pytest.mark.parametrize(
    ("iin", "message"),
    [
        ("850615301237", "The IIN check digit is wrong; please check the number."),
        ("851315301238", "The first six digits of the IIN are not a real date of birth."),
        ("12345", "The IIN must be exactly 12 digits."),
        ("951224400510", "This IIN cannot exist (its check digit cannot be computed)."),
    ],
)
def test_operator_iin_search_with_an_invalid_iin_shows_a_clear_error(users, login, iin, message):
    client = login(users["operator"])
    response = client.get(reverse("applications:operator_home"), {"iin": iin})
    assert response.status_code == 200
    assert tr(message) in text_of(response)
    # typing the address by hand ends in the same message
    direct = client.get(new_url(iin), follow=True)
    assert tr(message) in text_of(direct)


def test_operator_iin_search_of_an_unknown_person(users, login):
    client = login(users["operator"])
    unknown = valid_iin(date(1980, 5, 5), "3", 777)
    found = client.get(reverse("applications:operator_home"), {"iin": unknown})
    assert found.status_code == 302 and found["Location"] == new_url(unknown)
    response = client.get(found["Location"], follow=True)
    assert tr("No person with this IIN was found in the state database of individuals.") in text_of(response)


def test_operator_new_application_form_autofills_the_person(users, login):
    person = adults()[0]  # the demo citizen, with spouse and child in the registry
    client = login(users["operator"])
    response = client.get(new_url(person.iin))
    assert response.status_code == 200
    assert person.full_name in text_of(response)
    assert "Серікбаева Айгүл" in text_of(response)  # family prefilled from the registry
    assert AuditEvent.objects.filter(action="person.viewed", object_id=person.iin, actor=users["operator"]).exists()


def test_operator_accepts_a_complete_paper_application(department, users, login):
    person = adults()[1]
    client = login(users["operator"])
    response = client.post(new_url(person.iin), operator_form(department))
    assert response.status_code == 302, text_of(response)
    case = Application.objects.get()
    assert response["Location"] == reverse("applications:operator_case", args=[case.number])
    assert case.channel == "service_centre" and case.service_centre == department.centre
    assert case.submitted_by == users["operator"]

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert case.number in text_of(page) and escape(person.full_name) in text_of(page)
    assert tr("Application accepted. Print the receipt for the applicant.") in text_of(page)
    receipt = case.issued_documents.get(kind=DocumentKind.ACCEPTANCE_RECEIPT)
    download_url = reverse("documents:download", args=[receipt.number])
    assert download_url in text_of(page)
    pdf = client.get(download_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"%%EOF" in pdf.content[-64:]
    # the same person again: refused as a duplicate, with the existing number
    again = client.post(new_url(person.iin), operator_form(department))
    assert again.status_code == 200
    assert tr("This person already has an active application: %(number)s.", number=case.number) in text_of(again)
    assert Application.objects.count() == 1


def test_operator_incomplete_package_gives_a_refusal_receipt_and_no_case(department, users, login):
    person = adults()[1]
    client = login(users["operator"])
    form = operator_form(department, documents=("identity_document", "address_registration"))
    response = client.post(new_url(person.iin), form)
    assert response.status_code == 302, text_of(response)
    receipt = IssuedDocument.objects.get()
    assert receipt.kind == DocumentKind.REFUSAL_TO_ACCEPT_RECEIPT and receipt.application is None
    assert response["Location"] == reverse("applications:operator_refusal", args=[receipt.number])
    assert not Application.objects.exists()

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert receipt.number in text_of(page)
    assert tr("The package is incomplete: a refusal-to-accept receipt was issued and no case was created.") in text_of(page)
    for missing in ("no_housing_certificate", "category_certificate"):
        assert escape(_doc_type(missing).name) in text_of(page)
    assert escape(_doc_type("identity_document").name) not in text_of(page).split(tr("Missing documents"))[1]
    pdf = client.get(reverse("documents:download", args=[receipt.number]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # another branch may not open it
    other = login(users["other_operator"])
    assert other.get(response["Location"]).status_code == 404
    assert other.get(reverse("documents:download", args=[receipt.number])).status_code == 404


def test_operator_representative_with_a_bad_power_of_attorney_saves_nothing(department, users, login):
    people = adults()
    person, representative = people[1], people[2]
    client = login(users["operator"])
    form = operator_form(department, representative_iin=representative.iin, power_of_attorney_number="12345")
    response = client.post(new_url(person.iin), form)
    assert response.status_code == 200
    assert tr("The power of attorney was not found in the notary system.") in text_of(response)
    assert not Application.objects.exists()
    assert not Representative.objects.exists()
    assert not IssuedDocument.objects.exists()

    revoked = client.post(
        new_url(person.iin),
        operator_form(department, representative_iin=representative.iin, power_of_attorney_number="PoA-REVOKED-1"),
    )
    assert tr("The power of attorney is not in force (revoked or invalid).") in text_of(revoked)
    no_number = client.post(new_url(person.iin), operator_form(department, representative_iin=representative.iin))
    assert tr("Enter the power of attorney number.") in text_of(no_number)
    bad_rep_iin = client.post(new_url(person.iin), operator_form(department, representative_iin="850615301237"))
    assert tr("The IIN check digit is wrong; please check the number.") in text_of(bad_rep_iin)
    assert not Application.objects.exists() and not Representative.objects.exists()

    ok = client.post(
        new_url(person.iin),
        operator_form(department, representative_iin=representative.iin, power_of_attorney_number="PoA-2026-001"),
    )
    assert ok.status_code == 302, text_of(ok)
    case = Application.objects.get()
    assert case.representative.person.iin == representative.iin and case.representative.notary_verified
    assert escape(representative.full_name) in text_of(client.get(ok["Location"]))


def test_operator_refusal_page_of_another_branch_is_404(world, login):
    client = login(world.users["operator"])
    other_branch = world.refusals["refusal_other"].number
    assert client.get(reverse("applications:operator_refusal", args=[other_branch])).status_code == 404
    # an acceptance receipt number is not a refusal
    acceptance = world.receipts["centre_case"].number
    assert client.get(reverse("applications:operator_refusal", args=[acceptance])).status_code == 404


# ---------------------------------------------------------------- the department inbox and case page


def inbox_numbers(client, **params):
    response = client.get(reverse("applications:inbox"), params)
    assert response.status_code == 200
    return {case.number for case in response.context["page"]}


def test_inbox_filters_by_state_and_list(world, login):
    cases = world.cases
    civil = file_case(world.dept, world.users["operator"], person=synthetic_person(1), category_code="CIVIL_SERVANT")
    client = login(world.users["clerk"])
    own_provider = {cases[key].number for key in ("portal_case", "centre_case", "other_branch_case")} | {civil.number}

    assert inbox_numbers(client) == own_provider  # all open cases of this provider
    assert inbox_numbers(client, state="accepted") == {cases["other_branch_case"].number, civil.number}
    assert inbox_numbers(client, state="in_review") == {cases["portal_case"].number, cases["centre_case"].number}
    assert inbox_numbers(client, state="refused") == set()
    assert inbox_numbers(client, list=civil.queue_list_id) == {civil.number}
    assert inbox_numbers(client, list=cases["portal_case"].queue_list_id) == own_provider - {civil.number}
    assert inbox_numbers(client, state="in_review", list=civil.queue_list_id) == set()
    # nonsense filters are ignored, not a server error
    assert inbox_numbers(client, state="nonsense", list="abc", page="x") == own_provider
    assert inbox_numbers(client, list="9" * 30) == own_provider  # beyond a 64-bit id (SQLite raised OverflowError)
    assert inbox_numbers(client, list="-3") == own_provider
    # another provider's lists do not narrow to another provider's cases
    assert inbox_numbers(client, list=cases["other_citizen_case"].queue_list_id) == set()

    page = client.get(reverse("applications:inbox"))
    assert cases["other_citizen_case"].number not in text_of(page)
    assert escape(cases["portal_case"].applicant.full_name) in text_of(page)
    assert world.users["executor"].display_name in text_of(page)


def test_inbox_of_an_executor_shows_only_cases_assigned_to_them(world, login):
    client = login(world.users["executor"])
    assert inbox_numbers(client) == {world.cases["portal_case"].number}
    assert inbox_numbers(client, state="accepted") == set()
    other = login(world.users["other_executor"])
    assert inbox_numbers(other) == {world.cases["centre_case"].number}


@pytest.mark.parametrize("role_user", ["clerk", "head", "admin", "auditor"])
def test_inbox_of_department_staff_shows_the_whole_provider(world, login, role_user):
    client = login(world.users[role_user])
    assert world.cases["portal_case"].number in inbox_numbers(client)
    assert world.cases["other_citizen_case"].number not in inbox_numbers(client)


def test_inbox_of_another_provider(world, login):
    client = login(world.users["other_clerk"])
    assert inbox_numbers(client) == {world.cases["other_citizen_case"].number}


def test_staff_case_page(world, login):
    case = world.cases["portal_case"]
    client = login(world.users["clerk"])
    response = client.get(reverse("applications:staff_case", args=[case.number]))
    assert response.status_code == 200
    page = text_of(response)
    assert case.number in page and case.applicant.iin in page and escape(case.applicant.full_name) in page
    assert reverse("applications:attachment", args=[world.attachments["portal_case"].pk]) in page
    assert reverse("documents:download", args=[world.receipts["portal_case"].number]) in page
    assert AuditEvent.objects.filter(action="person.viewed", actor=world.users["clerk"], object_id=str(case.pk)).exists()
    # staff opening a scan leaves a trace
    assert client.get(reverse("applications:attachment", args=[world.attachments["portal_case"].pk])).status_code == 200
    assert AuditEvent.objects.filter(action="attachment.viewed", actor=world.users["clerk"]).exists()
    # another provider's case is not found
    other = world.cases["other_citizen_case"].number
    assert client.get(reverse("applications:staff_case", args=[other])).status_code == 404


def test_staff_case_page_for_an_executor(world, login):
    client = login(world.users["executor"])
    assert client.get(reverse("applications:staff_case", args=[world.cases["portal_case"].number])).status_code == 200
    assert client.get(reverse("applications:staff_case", args=[world.cases["centre_case"].number])).status_code == 404
    assert client.get(reverse("applications:staff_case", args=[world.cases["other_branch_case"].number])).status_code == 404


# ---------------------------------------------------------------- complaints and the citizen's case actions


def test_complaints_list_shows_the_providers_complaints_only(world, login):
    own, other = world.complaints["complaint_own"].number, world.complaints["complaint_other"].number
    clerk = login(world.users["clerk"])
    page = clerk.get(reverse("applications:complaints"))
    assert page.status_code == 200 and own in text_of(page) and other not in text_of(page)
    other_provider = login(world.users["other_clerk"])
    page = other_provider.get(reverse("applications:complaints"))
    assert other in text_of(page) and own not in text_of(page)


def test_complaints_list_pages_through_the_departments_complaints(world, login, monkeypatch):
    from datetime import timedelta

    from applications.models import Complaint

    monkeypatch.setattr("applications.views.workflow.COMPLAINTS_PAGE_SIZE", 2)
    own = world.complaints["complaint_own"]
    later = [Complaint.objects.create(application=own.application, number=f"{own.number}-{n}", subject=own.subject,
                                      text="Again.", filed_by=own.filed_by, filed_at=own.filed_at,
                                      answer_due_at=own.answer_due_at + timedelta(days=n),
                                      settle_due_at=own.settle_due_at) for n in (1, 2)]
    clerk = login(world.users["clerk"])
    first = clerk.get(reverse("applications:complaints"))
    second = clerk.get(reverse("applications:complaints"), {"page": 2})
    assert [c.number for c in first.context["page"]] == [own.number, later[0].number]
    assert [c.number for c in second.context["page"]] == [later[1].number]
    assert "1 / 2" in text_of(first) and "?page=2" in text_of(first) and "?page=1" in text_of(second)
    assert clerk.get(reverse("applications:complaints"), {"page": "x"}).context["page"].number == 1


def test_complaint_page_is_for_the_department_only(world, login, client):
    complaint = world.complaints["complaint_own"]
    url = reverse("applications:complaint", args=[complaint.number])
    page = login(world.users["head"]).get(url)
    assert page.status_code == 200 and complaint.text in text_of(page)
    # the citizen follows their complaint on the case page, not on the department's page
    client.logout()
    citizen = login(world.users["citizen"])
    assert citizen.get(url).status_code == 404
    status = citizen.get(reverse("applications:case_status", args=[world.cases["portal_case"].number]))
    assert complaint.number in text_of(status)


def test_citizen_withdraw_and_complaint_forms(world, login):
    client = login(world.users["citizen"])
    number = world.cases["portal_case"].number
    withdraw = client.get(reverse("applications:withdraw", args=[number]))
    assert withdraw.status_code == 200 and number in text_of(withdraw)
    unconfirmed = client.post(reverse("applications:withdraw", args=[number]), {"reason": "moved"})
    assert unconfirmed.status_code == 200
    assert Application.objects.get(number=number).state == CaseState.IN_REVIEW  # nothing happened without the tick
    complain = client.get(reverse("applications:complain", args=[number]))
    assert complain.status_code == 200
    empty = client.post(reverse("applications:complain", args=[number]), {"subject": "inaction", "text": ""})
    assert empty.status_code == 200
    # another citizen's case: not found, for either form
    other = world.cases["other_citizen_case"].number
    assert client.get(reverse("applications:withdraw", args=[other])).status_code == 404
    assert client.post(reverse("applications:complain", args=[other]), {"subject": "inaction", "text": "x"}).status_code == 404


# ---------------------------------------------------------------- documents: download and verification


def test_document_download_checks_access(world, login, client):
    receipt = world.receipts["portal_case"]
    url = reverse("documents:download", args=[receipt.number])
    assert client.get(url).status_code == 404  # anonymous
    owner = login(world.users["citizen"])
    response = owner.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"
    assert f"{receipt.number}.pdf" in response["Content-Disposition"]
    for name, status in (("other_citizen", 404), ("operator", 404), ("clerk", 200), ("executor", 200),
                         ("other_executor", 404), ("other_clerk", 404), ("auditor", 200)):
        client.logout()
        assert login(world.users[name]).get(url).status_code == status, name
    client.logout()
    assert login(world.users["citizen"]).get(reverse("documents:download", args=["QH-2026-99999999"])).status_code == 404


def test_refusal_receipt_download_by_the_person_and_the_branch(world, login, client):
    url = reverse("documents:download", args=[world.refusals["refusal_own"].number])  # issued to the demo citizen at con-1
    expected = {"citizen": 200, "operator": 200, "other_citizen": 404, "other_operator": 404, "clerk": 404}
    for name, status in expected.items():
        client.logout()
        assert login(world.users[name]).get(url).status_code == status, name


def test_verify_a_document(world, client):
    receipt = world.receipts["portal_case"]
    url = reverse("documents:verify")
    empty = client.get(url)
    assert empty.status_code == 200
    assert tr("No document with this number and code was issued by this system.") not in text_of(empty)

    right = client.get(url, {"number": receipt.number.lower(), "code": receipt.verification_code.lower()})
    assert right.status_code == 200
    assert tr("The document is genuine") in text_of(right)
    assert receipt.number in text_of(right)
    # personal data are not shown to an anonymous checker
    assert receipt.person_iin not in text_of(right)

    for params in (
        {"number": receipt.number, "code": "WRONG00000"},
        {"number": "QH-0000-00000000", "code": receipt.verification_code},
        {"number": receipt.number, "code": ""},
    ):
        wrong = client.get(url, params)
        assert wrong.status_code == 200
        assert tr("No document with this number and code was issued by this system.") in text_of(wrong)
        assert tr("The document is genuine") not in text_of(wrong)


def test_healthz(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json()["db"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


# ---------------------------------------------------------------- sign-in, lockout, sign-out, language


def test_home_page_for_anonymous_and_signed_in(users, client, login):
    response = client.get(reverse("home"))
    assert response.status_code == 200 and reverse("accounts:login") in text_of(response)
    for name, target in (("citizen", "applications:cabinet"), ("operator", "applications:operator_home"),
                         ("clerk", "applications:inbox"), ("executor", "applications:inbox")):
        signed_in = login(users[name])
        assert signed_in.get(reverse("home"), follow=True).redirect_chain[-1][0] == reverse(target), name


def test_login_by_iin_for_a_citizen(users, client):
    response = client.post(reverse("accounts:login"), {"username": f" {CITIZEN_IIN} ", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert client.get(response["Location"])["Location"] == reverse("applications:cabinet")
    assert client.get(reverse("applications:cabinet")).status_code == 200


def test_login_by_username_for_staff(users, client):
    response = client.post(reverse("accounts:login"), {"username": "Clerk", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("applications:inbox")
    assert response.context["user"] == users["clerk"]


def test_login_keeps_the_next_page(users, client):
    target = reverse("applications:inbox")
    response = client.get(target)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    signed_in = client.post(response["Location"], {"username": "head", "password": PASSWORD, "next": target})
    assert signed_in["Location"] == target


def test_login_with_a_wrong_password_and_an_iin_of_a_staff_member(users, client):
    wrong = client.post(reverse("accounts:login"), {"username": CITIZEN_IIN, "password": "not-the-password"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    message = "The IIN/username or password is wrong. After several failed attempts the account is locked for a while."
    assert tr(message) in text_of(wrong)
    # a 12-digit login is an IIN of a citizen only
    staff_with_iin = users["clerk"]
    staff_with_iin.iin = "791028302728"
    staff_with_iin.save()
    assert client.post(reverse("accounts:login"), {"username": "791028302728", "password": PASSWORD}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_lockout_after_five_failed_logins(users, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    login_url = reverse("accounts:login")
    for attempt in range(4):
        response = client.post(login_url, {"username": "clerk", "password": f"wrong-{attempt}"})
        assert response.status_code == 200, attempt
    fifth = client.post(login_url, {"username": "clerk", "password": "wrong-4"})
    assert fifth.status_code == 429
    # now even the right password is refused, with the lockout page
    locked = client.post(login_url, {"username": "clerk", "password": PASSWORD})
    assert locked.status_code == 429
    assert tr("Sign-in temporarily blocked") in text_of(locked)
    assert "_auth_user_id" not in client.session
    # the lock is per username and address: another account still signs in
    other = client.post(login_url, {"username": "head", "password": PASSWORD})
    assert other.status_code == 302


def test_logout(users, login):
    client = login(users["citizen"])
    assert client.get(reverse("applications:cabinet")).status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405  # sign-out is a POST (CSRF-protected form)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("home")
    after = client.get(reverse("applications:cabinet"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("lang", ["ru", "en", "kk"])
def test_language_switch(client, db, lang):
    assert page_lang(client.get(reverse("home"))) == "kk"  # the default
    response = client.post(reverse("set_language"), {"language": lang, "next": reverse("documents:verify")})
    assert response.status_code == 302 and response["Location"] == reverse("documents:verify")
    assert client.cookies["kezek_language"].value == lang
    page = client.get(reverse("documents:verify"))
    assert page_lang(page) == lang
    assert tr("Verify a document", lang) in text_of(page)


def test_language_switch_for_a_signed_in_user_keeps_the_session(users, login):
    client = login(users["clerk"])
    client.post(reverse("set_language"), {"language": "ru", "next": reverse("applications:inbox")})
    page = client.get(reverse("applications:inbox"))
    assert page.status_code == 200 and page_lang(page) == "ru"
    assert tr("Incoming cases", "ru") in text_of(page)


# ---------------------------------------------------------------- query counts


INBOX_MAX_QUERIES = 8  # session, user, page count, state counts, queue lists, the page of cases, the
# deadline alerts box (deadlines/_inbox_alerts.html: latest unread alerts with their total, one query) and the
# staff-read audit event (one INSERT per page view, issue 8: audit.services.record_staff_read) — never per case


def _bulk_cases(department, users, start, count):
    """Cases from people the simulator does not know, half of them assigned, in two lists."""
    from applications.services.intake import accept_application

    for n in range(start, start + count):
        category = "CIVIL_SERVANT" if n % 3 == 0 else "LARGE_FAMILY"
        case = accept_application(
            intake_request(department, users["operator"], person=synthetic_person(n), category_code=category)
        )
        if n % 2 == 0:
            advance(case, ("register", {}), ("assign_executor", {"executor": users["executor"]}), users=users)


@pytest.mark.parametrize("user_name", ["clerk", "executor"])
def test_inbox_query_count_does_not_grow_with_cases(department, users, login, django_assert_max_num_queries, user_name):
    client = login(users[user_name])
    client.get(reverse("applications:inbox"))  # warm caches (session, content types)
    _bulk_cases(department, users, 0, 5)
    with django_assert_max_num_queries(INBOX_MAX_QUERIES) as five:
        response = client.get(reverse("applications:inbox"))
    shown_five = len(response.context["page"].object_list)
    _bulk_cases(department, users, 5, 20)
    with django_assert_max_num_queries(INBOX_MAX_QUERIES) as twenty_five:
        response = client.get(reverse("applications:inbox"))
    shown_25 = len(response.context["page"].object_list)
    assert shown_25 > shown_five > 0
    assert len(twenty_five.captured_queries) == len(five.captured_queries), "\n".join(
        q["sql"] for q in twenty_five.captured_queries
    )


def test_inbox_query_count_with_filters(department, users, login, django_assert_max_num_queries):
    client = login(users["clerk"])
    _bulk_cases(department, users, 0, 25)
    list_id = Application.objects.filter(category__code="CIVIL_SERVANT").values_list("queue_list_id", flat=True).first()
    with django_assert_max_num_queries(INBOX_MAX_QUERIES):
        response = client.get(reverse("applications:inbox"), {"state": CaseState.IN_REVIEW, "list": list_id})
    assert response.status_code == 200 and len(response.context["page"].object_list) > 0


def test_role_home_redirects(users, login, client):
    expected = {Role.APPLICANT: "applications:cabinet", Role.OPERATOR: "applications:operator_home"}
    for name in ("citizen", "operator", "clerk", "head", "executor", "admin", "auditor"):
        user = users[name]
        response = login(user).get(reverse("accounts:home"))
        assert response["Location"] == reverse(expected.get(user.role, "applications:inbox")), name
        client.logout()
