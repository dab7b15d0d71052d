"""The head's deadline dashboard in Debian's Chromium: every chart renders as an accessible SVG, with its
data table and CSV, under the strict Content-Security-Policy (no scripts, no inline styles).

The cases are made ten days in the past (a frozen clock during setup only): one decided and sent on time,
one left unassigned so that its review is overdue now.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import TestCase
from django.utils import timezone

from applications.models import DecisionKind
from applications.services import review
from tests.browser.conftest import sign_in
from tests.factories import file_case, simulated_people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = ("by_step", "by_person", "on_time_month", "on_time_executor", "median_step", "queue_sizes")


class _Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def _history(department, users):
    real_now = timezone.now()
    clock = _Clock(real_now.replace(microsecond=0) - timedelta(days=10))
    people = simulated_people()
    with mock.patch("django.utils.timezone.now", clock):
        done = file_case(department, users["operator"], person=people[0])
        late = file_case(department, users["operator"], person=people[1])
        for hours, action in (
            (1, lambda: review.register_case(done, users["clerk"])),
            (1, lambda: review.register_case(late, users["clerk"])),
            (1, lambda: review.assign_executor(done, users["head"], users["executor"])),
            (1, lambda: review.run_eligibility(done, users["executor"])),
        ):
            clock.now += timedelta(hours=hours)
            action()
        check = done.eligibility_checks.first()
        clock.now += timedelta(minutes=30)
        with TestCase.captureOnCommitCallbacks(execute=True):
            review.draft_decision(done, users["executor"], kind=DecisionKind.REGISTRATION,
                                  override_reason="" if check.eligible else "registry record outdated")
            clock.now += timedelta(minutes=30)
            review.sign_decision(done, users["head"])
            clock.now += timedelta(minutes=30)
            review.dispatch_decision(done, users["clerk"])
    return done, late


def test_dashboard_renders_its_charts(new_page, department, users, settings):
    settings.KEZEK_REQUIRE_EDS = False  # the head's signature is only a step of the history here
    done, late = _history(department, users)
    page = new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    sign_in(page, "head")
    page.goto("/staff/dashboard/")
    assert page.locator("h1").count() == 1

    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == len(CHARTS)
    for chart_id in CHARTS:
        svg = page.locator(f"#chart-{chart_id} svg[role=img]")
        assert svg.is_visible(), chart_id
        box = svg.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 40, (chart_id, box)
        labelled = svg.get_attribute("aria-labelledby").split()
        assert page.locator(f"#chart-{chart_id} svg title#{labelled[0]}").text_content().strip()
        assert page.locator(f"#chart-{chart_id} details table").count() == 1
    assert page.locator("#chart-by_step rect.bar").count() >= 1
    assert page.locator("#chart-on_time_month rect.bar").count() == 12
    assert page.locator("#chart-queue_sizes polyline.line").count() >= 1

    overdue = page.locator("table[data-list=overdue]")
    assert late.number in overdue.inner_text() and done.number not in overdue.inner_text()
    assert page.locator("[data-count=overdue]").inner_text().strip() != "0"

    details = page.locator("#chart-on_time_month details")
    details.locator("summary").click()
    assert details.locator("table").is_visible()
    assert "100%" in details.locator("table").inner_text()  # the decided case went out on time

    href = page.locator("#chart-queue_sizes a.csv-link").get_attribute("href")
    response = page.request.get("/staff/dashboard/" + href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
