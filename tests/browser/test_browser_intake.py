"""A citizen files online, an operator files a paper case, the clerk sees both (Debian's Chromium)."""

import re

import pytest

from applications.models import Application, Category, DocumentType
from tests.browser.conftest import sign_in
from tests.factories import simulated_people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eds_not_required")]  # signing: test_browser_signing.py

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_citizen_and_operator_file_and_clerk_sees_both(new_page, department, users):
    category = Category.objects.get(code="LARGE_FAMILY")

    citizen = new_page()
    sign_in(citizen, "900215300126")
    assert citizen.url.endswith("/cabinet/")
    citizen.goto("/cabinet/apply/")
    citizen.select_option("#id_settlement", str(department.settlement.pk))
    citizen.select_option("#id_fund", "communal")
    citizen.select_option("#id_category", str(category.pk))
    citizen.click("main form button[type=submit]")
    citizen.fill("#id_phone", "+77011234567")
    citizen.fill("#id_email", "erlan@example.kz")
    citizen.click("main form button[type=submit]")
    citizen.click("form:has(input[name=action][value=continue]) button")  # no family members
    for code in ("identity_document", "address_registration", "no_housing_certificate", "category_certificate"):
        doc_type = DocumentType.objects.get(code=code)
        citizen.select_option("#id_document_type", str(doc_type.pk))
        citizen.set_input_files("#id_file", files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        citizen.click("form:has(input[name=action][value=upload]) button")
    citizen.click("form:has(input[name=action][value=continue]) button")
    for name in ("property_check", "personal_data", "publication"):
        citizen.check(f"#id_{name}")
    citizen.click("main form button[type=submit]")
    assert "/cabinet/apply/review/" in citizen.url
    citizen.click("form[action*='/submit/'] button[type=submit]")
    online_number = citizen.locator("strong.big").inner_text().strip()
    assert re.fullmatch(r"ALMATY-\d{4}-\d{7}", online_number)

    operator = new_page()
    sign_in(operator, "operator")
    person = simulated_people()[5]
    operator.fill("#id_iin", person.iin)
    operator.click("main form button[type=submit]")
    assert person.surname in operator.content()
    operator.select_option("#id_settlement", str(department.settlement.pk))
    operator.select_option("#id_category", str(category.pk))
    operator.fill("#id_phone", "+77021234567")
    for checkbox in operator.locator("input[name=documents_received]").all():
        checkbox.check()
    for name in ("property_check", "personal_data", "publication"):
        operator.check(f"#id_{name}")
    operator.click("main form button[type=submit]")
    paper_number = operator.locator("strong.big").inner_text().strip()
    receipt_link = operator.locator("a[href$='.pdf']").first.get_attribute("href")
    response = operator.request.get(receipt_link)
    assert response.ok and response.body().startswith(b"%PDF")

    clerk = new_page()
    sign_in(clerk, "clerk")
    assert clerk.url.endswith("/staff/inbox/")
    inbox = clerk.content()
    assert online_number in inbox and paper_number in inbox
    assert Application.objects.filter(number__in=[online_number, paper_number]).count() == 2
