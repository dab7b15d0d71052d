"""Signing in the browser with a PKCS#12 key file (node-forge + Web Cryptography), in Debian's Chromium.

a. the citizen signs the application on the review step and the case is accepted;
b. the ЦОН operator signs the paper application they enter;
c. the head signs the decision: the server prepares the PDF, the browser signs, the PDF verifies;
d. without JavaScript the review step explains that signing needs it and offers no unsigned submit.
"""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from applications.models import Application, CaseState
from signatures.models import Signature, SignaturePurpose
from signatures.services import canonical_bytes
from signatures.verification import check_pdf
from tests.browser.conftest import sign_in
from tests.factories import simulated_people
from tests.signatures.flows import case_awaiting_signature, complete_draft, operator_form
from tests.signatures.pki_support import HEAD_IIN, OPERATOR_IIN, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _kk(msgid):
    with translation.override("kk"):
        return gettext(msgid)


def _sign_with_file(page, p12, password=PASSWORD):
    widget = page.locator("[data-eds]")
    assert widget.locator("[data-eds-nojs]").is_hidden() and widget.locator("[data-eds-ui]").is_visible()
    widget.locator("[data-eds-file]").set_input_files(str(p12))
    widget.locator("[data-eds-password]").fill(password)
    return widget


def test_citizen_signs_the_application_with_a_key_file(new_page, trust, department, users, tmp_path):
    complete_draft(department, users["citizen"])
    p12 = trust.p12_file(tmp_path, "valid")
    page = new_page()
    sign_in(page, "900215300126")
    page.goto(reverse("applications:apply_step", args=["review"]))

    # a wrong password is caught in the browser: nothing is sent
    widget = _sign_with_file(page, p12, password="not-the-password")
    widget.locator("[data-eds-sign]").click()
    status = widget.locator("[data-eds-status]")
    status.filter(has_text=_kk("The key file could not be opened: wrong password, or not a PKCS#12 key file.")).wait_for()
    assert not Application.objects.exists()

    widget = _sign_with_file(page, p12)
    with page.expect_navigation(url="**/submitted/"):
        widget.locator("[data-eds-sign]").click()
    number = page.locator("strong.big").inner_text().strip()
    case = Application.objects.get(number=number)
    signature = Signature.objects.get(application=case)
    assert signature.purpose == SignaturePurpose.APPLICATION and signature.method == "file"
    assert bytes(signature.payload) == canonical_bytes(case.filed_payload)
    assert signature.certificate_serial == format(trust.keys["valid"].certificate.serial_number, "X")


def test_operator_signs_the_paper_application(new_page, trust, department, users, tmp_path):
    users["operator"].iin = OPERATOR_IIN
    users["operator"].save(update_fields=["iin"])
    p12 = trust.p12_file(tmp_path, "operator")
    person = simulated_people()[5]
    page = new_page()
    sign_in(page, "operator")
    page.goto(reverse("applications:operator_new") + f"?iin={person.iin}")
    data = operator_form(department)
    page.select_option("#id_settlement", str(data["settlement"]))
    page.select_option("#id_category", str(data["category"]))
    page.fill("#id_phone", data["phone"])
    for checkbox in page.locator("input[name=documents_received]").all():
        checkbox.check()
    for name in ("property_check", "personal_data", "publication"):
        page.check(f"#id_{name}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert not Application.objects.exists()  # checked; now the operator signs
    widget = _sign_with_file(page, p12)
    with page.expect_navigation(url="**/operator/cases/**"):
        widget.locator("[data-eds-sign]").click()
    case = Application.objects.get()
    assert case.applicant.iin == person.iin
    signature = Signature.objects.get(application=case)
    assert signature.purpose == SignaturePurpose.INTAKE and signature.signer == users["operator"]


def test_head_signs_the_decision_in_the_browser(new_page, trust, department, users, tmp_path):
    users["head"].iin = HEAD_IIN
    users["head"].save(update_fields=["iin"])
    case = case_awaiting_signature(department, users)
    p12 = trust.p12_file(tmp_path, "head")
    page = new_page()
    sign_in(page, "head")
    page.goto(reverse("applications:staff_case", args=[case.number]))
    details = page.locator("details.action:has(form[action$='/do/sign/'])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = page.locator("form[action$='/do/sign/']")
    assert form.locator("button[type=submit]").count() == 0  # no unsigned approval
    form.locator("[data-eds-file]").set_input_files(str(p12))
    form.locator("[data-eds-password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("[data-eds-sign]").click()
    assert page.locator(".message-success").count() == 1, page.locator("main").inner_text()
    case.refresh_from_db()
    assert case.state == CaseState.QUEUED
    document = case.decisions.get(signed_at__isnull=False).document
    signature = document.signatures.get()
    assert signature.method == "file" and signature.certificate_iin == HEAD_IIN
    with document.file.open("rb") as handle:
        check = check_pdf(handle.read())
    assert check.ok and check.document == document
    # anyone can check it at /verify/
    checker = new_page()
    checker.goto(reverse("documents:verify") + f"?number={document.number}&code={document.verification_code}")
    assert checker.locator(".eds-signature-check[data-ok=yes]").count() == 1
    assert "ҚҰДАЙБЕРГЕНОВ АСҚАР" in checker.locator(".eds-check").inner_text()


def test_without_javascript_the_review_step_explains_and_does_not_submit(browser, live_server, trust, department, users):
    complete_draft(department, users["citizen"])
    context = browser.new_context(base_url=live_server.url, locale="kk", java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "900215300126")
        page.goto(reverse("applications:apply_step", args=["review"]))
        assert page.locator("[data-eds-nojs]").is_visible()
        assert page.locator("[data-eds-ui]").is_hidden()
        assert page.locator("form[action*='/submit/'] button[type=submit]").count() == 0
        assert _kk("Without a signature this cannot be submitted. Please turn JavaScript on, or come to a public service centre.") in page.content()
    finally:
        context.close()
