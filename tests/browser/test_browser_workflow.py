"""The department's workflow end to end in Debian's Chromium, each step by the role that owns it.

a. registration: clerk registers, head assigns, executor checks and drafts, head signs, clerk sends,
   the citizen sees the queue number and downloads the notification;
b. refusal: the check finds a ground, the executor sends a preliminary refusal with a hearing,
   records the hearing, drafts the reasoned refusal, the head signs.

Selectors are form actions, field names and CSS markers, never translated text (pages run in Kazakh).
"""

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from applications.models import Application, CaseState, DecisionKind
from deadlines.due import add_working_days
from documents.models import IssuedDocument
from eligibility.adapters import get_individuals_registry
from tests.browser.conftest import sign_in
from tests.factories import CITIZEN_IIN, file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eds_not_required")]  # signing: test_browser_signing.py

EARLIER_APPLICANT_IIN = "870707324813"  # simulator_people.json: "eligible"
OWNS_DWELLING_IIN = "850130320375"  # simulator_people.json: "owns a dwelling now (in another city)"


def _person(iin):
    person = get_individuals_registry().find_person(iin)
    assert person is not None, iin
    return person


def _state(number):
    return Application.objects.get(number=number).state


def _open_case(page, number):
    page.goto(f"/staff/cases/{number}/")
    assert number in page.locator("h1").inner_text()


def _action(page, name):
    """The action's form, with its <details> opened; fails if the page does not offer the action."""
    form = page.locator(f"form[action$='/do/{name}/']")
    assert form.count() == 1, f"action {name!r} not offered on {page.url}"
    details = page.locator(f"details.action:has(form[action$='/do/{name}/'])")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return form


def _submit(page, form):
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert not page.locator("p.error, .message-error").count(), page.locator("main").inner_text()
    assert page.locator(".message-success").count() == 1


def _pdf_text(page, href):
    response = page.request.get(href)
    assert response.ok, href
    body = response.body()
    assert body.startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext (poppler-utils) is needed; `make system-deps` installs it"
    return subprocess.run([pdftotext, "-layout", "-", "-"], input=body, capture_output=True, check=True).stdout.decode()


def _register_and_assign(new_page, number, executor):
    clerk = new_page()
    sign_in(clerk, "clerk")
    _open_case(clerk, number)
    _submit(clerk, _action(clerk, "register"))
    assert _state(number) == CaseState.REGISTERED

    head = new_page()
    sign_in(head, "head")
    _open_case(head, number)
    form = _action(head, "assign")
    form.locator("select[name=executor]").select_option(str(executor.pk))
    _submit(head, form)
    case = Application.objects.get(number=number)
    assert case.state == CaseState.IN_REVIEW and case.assigned_executor_id == executor.pk
    return clerk, head


def test_registration_journey(new_page, department, users):
    # an earlier case in the same list, still pending, holds its place ahead of the citizen (DOMAIN.md §7)
    file_case(department, users["operator"], person=_person(EARLIER_APPLICANT_IIN))
    case = file_case(department, users["operator"], person=_person(CITIZEN_IIN))
    number = case.number
    assert case.state == CaseState.ACCEPTED
    clerk, head = _register_and_assign(new_page, number, users["executor"])

    executor = new_page()
    sign_in(executor, "executor")
    _open_case(executor, number)
    _submit(executor, _action(executor, "eligibility"))
    check_section = executor.locator("section[aria-labelledby=check-title]")
    assert check_section.locator(".panel-success").count() == 1  # "no refusal ground applies"
    assert check_section.locator("ul.findings").count() == 0
    assert Application.objects.get(number=number).eligibility_checks.get().eligible

    form = _action(executor, "draft")
    assert form.locator("input[name=kind][value=registration]").is_checked()  # preset from the clean check
    assert not form.locator("input[name=grounds]:checked").count()
    _submit(executor, form)
    assert _state(number) == CaseState.AWAITING_SIGNATURE

    _open_case(head, number)
    _submit(head, _action(head, "sign"))
    assert _state(number) == CaseState.QUEUED
    decision = Application.objects.get(number=number).decisions.get(signed_at__isnull=False)
    assert decision.kind == DecisionKind.REGISTRATION and decision.queue_number == 2

    _open_case(clerk, number)
    _submit(clerk, _action(clerk, "dispatch"))
    decision.refresh_from_db()
    assert decision.dispatched_at is not None and decision.dispatched_by_id == users["clerk"].pk

    citizen = new_page()
    sign_in(citizen, CITIZEN_IIN)
    assert citizen.url.endswith("/cabinet/")
    with citizen.expect_navigation():
        citizen.click(f"a[href$='/cabinet/applications/{number}/']")
    assert number in citizen.locator("h1").inner_text()
    assert citizen.locator("dl.summary strong.big").inner_text().strip() == str(decision.queue_number)
    state_text = citizen.locator("dl.summary dd strong").first.inner_text().strip()
    with translation.override("kk"):
        assert state_text == str(CaseState.QUEUED.label)  # "registered in the queue", in the page's language
    notification = decision.document
    link = citizen.locator(f"a[href$='/documents/{notification.number}.pdf']")
    assert link.count() == 1
    text = _pdf_text(citizen, link.get_attribute("href"))
    assert number in text
    with translation.override(notification.language):
        label = gettext("Queue number")
    rows = [line.split(label, 1)[1].strip() for line in text.splitlines() if label in line]
    assert rows == [str(decision.queue_number)], text


def test_refusal_through_hearing_journey(new_page, department, users):
    case = file_case(department, users["operator"], person=_person(OWNS_DWELLING_IIN))
    number = case.number
    clerk, head = _register_and_assign(new_page, number, users["executor"])

    executor = new_page()
    sign_in(executor, "executor")
    _open_case(executor, number)
    _submit(executor, _action(executor, "eligibility"))
    check = Application.objects.get(number=number).eligibility_checks.get()
    assert not check.eligible and check.grounds == ["OWNED_HOUSING_5Y"]
    findings = executor.locator("section[aria-labelledby=check-title] ul.findings > li")
    assert findings.count() == 1
    finding = findings.first
    assert finding.locator(".mono").inner_text().strip() == "OWNED_HOUSING_5Y"
    assert OWNS_DWELLING_IIN in finding.inner_text()  # the facts: whose dwelling, where, since when
    assert check.findings[0]["facts"]["iin"] == OWNS_DWELLING_IIN

    # a preliminary refusal with a hearing within 2 working days of the notice (Asia/Almaty wall clock)
    hearing_at = timezone.localtime(add_working_days(timezone.now(), 1)) - timedelta(hours=3)
    form = _action(executor, "preliminary_refusal")
    assert form.locator("input[name=grounds][value=OWNED_HOUSING_5Y]").is_checked()  # preset from the check
    form.locator("textarea[name=reasoning]").fill("Өтініш берушінің Шымкент қаласында тұрғын үйі бар.")
    form.locator("input[name=hearing_at]").fill(hearing_at.strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=place]").fill("Алматы қ., Абай даңғ., 1, 204 каб.")
    _submit(executor, form)
    case = Application.objects.get(number=number)
    assert case.state == CaseState.HEARING
    hearing = case.hearings.get()
    assert timezone.localtime(hearing.scheduled_at).strftime("%Y-%m-%dT%H:%M") == hearing_at.strftime("%Y-%m-%dT%H:%M")
    assert hearing.preliminary_grounds == ["OWNED_HOUSING_5Y"] and hearing.notice_document is not None

    form = _action(executor, "record_hearing")
    form.locator("input[name=attended][value=yes]").check()
    form.locator("textarea[name=position]").fill("Пәтер 2018 жылы сатып алынған, бірақ онда тұрмаймын.")
    _submit(executor, form)
    hearing.refresh_from_db()
    assert hearing.recorded_at is not None and hearing.attended and "2018" in hearing.applicant_position
    assert _state(number) == CaseState.HEARING

    form = _action(executor, "draft")
    form.locator("input[name=kind][value=refusal]").check()
    grounds = form.locator("input[name=grounds][value=OWNED_HOUSING_5Y]")
    if not grounds.is_checked():
        grounds.check()
    form.locator("textarea[name=reasoning]").fill(
        "Тыңдау өтті; өтініш беруші Шымкент қаласында 2018 жылдан бері тұрғын үйге иелік етеді."
    )
    _submit(executor, form)
    assert _state(number) == CaseState.AWAITING_SIGNATURE

    _open_case(head, number)
    _submit(head, _action(head, "sign"))
    case = Application.objects.get(number=number)
    assert case.state == CaseState.REFUSED
    decision = case.decisions.get(signed_at__isnull=False)
    assert decision.kind == DecisionKind.REFUSAL and decision.grounds == ["OWNED_HOUSING_5Y"]
    assert decision.signed_by_id == users["head"].pk

    refusal = IssuedDocument.objects.get(pk=decision.document_id)
    link = head.locator(f"a[href$='/documents/{refusal.number}.pdf']").first
    text = _pdf_text(head, link.get_attribute("href"))
    assert "OWNED_HOUSING_5Y" in text
    assert number in text
