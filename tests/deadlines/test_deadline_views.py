"""Dashboards (charts, lists, CSV) for the head, the administrator and the auditor; the regulation settings
pages (profile versions, the calendar) for the administrator; the staff alerts and the inbox alerts box."""

import csv
import io
import json
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from applications.services import review
from audit.models import AuditEvent
from deadlines.definition import profile_to_definition
from deadlines.enforcement import enforce_deadlines
from deadlines.models import CalendarException, DeadlineAlert, RegulationProfileVersion
from deadlines.profiles import NATIONAL_2025
from tests.factories import file_case, simulated_people
from tests.web.web_support import synthetic_person

pytestmark = pytest.mark.django_db

CHARTS = ("by_step", "by_person", "on_time_month", "on_time_executor", "median_step", "queue_sizes")


def tr(msgid, lang="kk"):
    with translation.override(lang):
        return gettext(msgid)


@pytest.fixture
def late_case(department, users, clock):
    """A case registered Monday and still unassigned on Wednesday: its review is overdue."""
    case = file_case(department, users["operator"], person=simulated_people()[0])
    clock.set(2026, 11, 23, 11, 0)
    review.register_case(case, users["clerk"])
    clock.set(2026, 11, 25, 9, 0)
    return case


@pytest.mark.parametrize("name", ["head", "admin", "auditor"])
def test_dashboard_renders_every_chart_for_the_heads_administrators_and_auditors(users, login, late_case, name):
    response = login(users[name]).get(reverse("deadlines:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    svgs = re.findall(r'<svg [^>]*role="img"[^>]*>', html)
    assert len(svgs) == len(CHARTS)
    for chart in CHARTS:
        assert f'id="{chart}-title"' in html and f'id="{chart}-desc"' in html
        assert f"chart={chart}" in html
    assert html.count("<details>") >= len(CHARTS)  # a data table behind every chart
    assert late_case.number in html
    assert 'class="bar"' in html and 'class="line"' in html
    assert "<script" not in html.split("<main", 1)[1]


def test_dashboard_overdue_list_and_csv(users, login, late_case):
    client = login(users["head"])
    page = client.get(reverse("deadlines:dashboard")).context
    assert [item.number for item in page["overdue"].items] == [late_case.number]
    response = client.get(reverse("deadlines:dashboard"), {"format": "csv", "chart": "overdue"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == tr("Application number") and rows[1][0] == late_case.number
    assert len(rows) == 2


@pytest.mark.parametrize("chart", CHARTS + ("due_soon",))
def test_every_chart_has_a_csv(users, login, late_case, chart):
    response = login(users["auditor"]).get(reverse("deadlines:dashboard"), {"format": "csv", "chart": chart})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and all(len(row) == len(rows[0]) for row in rows)


def test_csv_cells_cannot_become_formulas():
    from deadlines.views import _csv_cell

    assert _csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _csv_cell("Ержан") == "Ержан" and _csv_cell(3) == "3"


def test_unknown_chart_is_404(users, login):
    assert login(users["head"]).get(reverse("deadlines:dashboard"), {"format": "csv", "chart": "nope"}).status_code == 404


@pytest.mark.parametrize("name", ["citizen", "operator", "clerk", "executor"])
def test_dashboard_is_refused_to_others(users, login, name):
    assert login(users[name]).get(reverse("deadlines:dashboard")).status_code == 403
    assert login(users[name]).get(reverse("deadlines:dashboard"), {"format": "csv", "chart": "overdue"}).status_code == 403


def test_dashboard_sends_anonymous_users_to_sign_in(client, db):
    response = client.get(reverse("deadlines:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_dashboard_shows_only_the_viewers_department(users, login, department, late_case, clock):
    other = file_case(department, users["other_citizen"], person=simulated_people()[4], channel="portal",
                      provider=department.other_provider)
    html = login(users["head"]).get(reverse("deadlines:dashboard")).content.decode()
    assert late_case.number in html and other.number not in html


def test_dashboard_query_count_does_not_grow_with_cases(department, users, login, clock, django_assert_max_num_queries):
    client = login(users["head"])
    client.get(reverse("deadlines:dashboard"))  # warm the session and the caches

    def add(start, count):
        for n in range(start, start + count):
            case = file_case(department, users["operator"], person=synthetic_person(n))
            if n % 2:
                review.register_case(case, users["clerk"])

    add(0, 2)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("deadlines:dashboard"))
    add(2, 6)
    with django_assert_max_num_queries(20) as more:
        client.get(reverse("deadlines:dashboard"))
    assert len(more.captured_queries) == len(few.captured_queries)


# ---------------------------------------------------------------- profile versions


def _definition(**changes):
    definition = profile_to_definition(NATIONAL_2025)
    definition.update(changes)
    return json.dumps(definition)


def test_profiles_list_and_page(users, login):
    client = login(users["admin"])
    response = client.get(reverse("deadlines:profiles"))
    assert response.status_code == 200
    assert reverse("deadlines:profile", args=["national-2025"]) in response.content.decode()
    response = client.get(reverse("deadlines:profile", args=["national-2025"]))
    assert response.status_code == 200
    form_text = response.context["form"]["definition"].value()
    assert json.loads(form_text) == profile_to_definition(NATIONAL_2025)
    assert client.get(reverse("deadlines:profile", args=["no-such"])).status_code == 404


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        ("{not json", "JSON"),
        (_definition(steps={"review": {"amount": -1, "unit": "working_days"}}), "steps.review.amount"),
        (_definition(total={"amount": 1, "unit": "working_days"}), "steps"),
        (_definition(steps={"coffee": {"amount": 1, "unit": "minutes"}}), "steps.coffee"),
    ],
)
def test_invalid_versions_are_refused_with_a_translated_error_and_nothing_saved(users, login, definition, fragment):
    before = RegulationProfileVersion.objects.count()
    response = login(users["admin"]).post(
        reverse("deadlines:profile", args=["national-2025"]), {"definition": definition, "note": "test"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["definition"]
    assert errors and fragment in errors[0]
    assert tr("Please correct the following") in response.content.decode()
    assert RegulationProfileVersion.objects.count() == before


def test_publishing_a_version_via_the_page(users, login, department):
    client = login(users["admin"])
    definition = _definition(total={"amount": 5, "unit": "working_days"})
    response = client.post(reverse("deadlines:profile", args=["national-2025"]), {"definition": definition, "note": "order 7"})
    assert response.status_code == 302
    version = RegulationProfileVersion.objects.get(provider=department.provider)
    assert (version.version, version.note, version.created_by) == (1, "order 7", users["admin"])
    page = client.get(reverse("deadlines:profile", args=["national-2025"]))
    assert "order 7" in page.content.decode()
    assert page.context["current"].pk == version.pk
    missing_note = client.post(reverse("deadlines:profile", args=["national-2025"]),
                               {"definition": _definition(total={"amount": 6, "unit": "working_days"}), "note": ""})
    assert missing_note.status_code == 200 and missing_note.context["form"].errors["note"]
    same = client.post(reverse("deadlines:profile", args=["national-2025"]), {"definition": definition, "note": "again"})
    assert same.status_code == 200 and same.context["form"].non_field_errors()
    assert RegulationProfileVersion.objects.filter(provider=department.provider).count() == 1


@pytest.mark.parametrize("name", ["head", "auditor"])
def test_heads_and_auditors_read_the_settings_but_cannot_change_them(users, login, name):
    client = login(users[name])
    page = client.get(reverse("deadlines:profile", args=["national-2025"]))
    assert page.status_code == 200 and "<textarea" not in page.content.decode()
    refused = client.post(reverse("deadlines:profile", args=["national-2025"]),
                          {"definition": _definition(total={"amount": 5, "unit": "working_days"}), "note": "x"})
    assert refused.status_code == 403
    assert client.post(reverse("deadlines:calendar"), {"date": "2026-11-24", "kind": "day_off", "reason": "x"}).status_code == 403
    assert not CalendarException.objects.exists()
    assert not RegulationProfileVersion.objects.filter(provider__isnull=False).exists()


@pytest.mark.parametrize("name", ["citizen", "operator", "clerk", "executor"])
def test_settings_are_refused_to_others(users, login, name):
    client = login(users[name])
    for url in (reverse("deadlines:profiles"), reverse("deadlines:profile", args=["national-2025"]), reverse("deadlines:calendar")):
        assert client.get(url).status_code == 403


# ---------------------------------------------------------------- the calendar


def test_calendar_add_and_remove(users, login):
    client = login(users["admin"])
    assert client.get(reverse("deadlines:calendar")).status_code == 200
    response = client.post(reverse("deadlines:calendar"), {"date": "2026-11-24", "kind": "day_off", "reason": "Decree 5"})
    assert response.status_code == 302
    exception = CalendarException.objects.get()
    assert (exception.date, exception.kind, exception.created_by) == (date(2026, 11, 24), "day_off", users["admin"])
    page = client.get(reverse("deadlines:calendar")).content.decode()
    assert "Decree 5" in page and reverse("deadlines:calendar_remove", args=[exception.pk]) in page
    refused = client.post(reverse("deadlines:calendar"), {"date": "2026-11-28", "kind": "day_off", "reason": "x"})
    assert refused.status_code == 200 and refused.context["form"].non_field_errors()
    assert client.get(reverse("deadlines:calendar_remove", args=[exception.pk])).status_code == 405
    assert login(users["head"]).post(reverse("deadlines:calendar_remove", args=[exception.pk])).status_code == 403
    client = login(users["admin"])
    assert client.post(reverse("deadlines:calendar_remove", args=[exception.pk])).status_code == 302
    assert not CalendarException.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="calendar.").count() == 2


def test_calendar_form_errors(users, login):
    response = login(users["admin"]).post(reverse("deadlines:calendar"), {"date": "not a date", "kind": "holiday", "reason": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"date", "kind", "reason"}
    assert not CalendarException.objects.exists()


# ---------------------------------------------------------------- alerts


def test_alerts_in_the_inbox_and_on_their_page(users, login, late_case):
    enforce_deadlines()
    head = users["head"]
    alert = DeadlineAlert.objects.get(user=head)
    assert alert.kind == "overdue" and alert.step == "review"
    client = login(head)
    inbox = client.get(reverse("applications:inbox")).content.decode()
    assert 'data-alerts="1"' in inbox and late_case.number in inbox
    assert reverse("deadlines:dashboard") in inbox
    page = client.get(reverse("deadlines:alerts"))
    assert page.status_code == 200 and late_case.number in page.content.decode()
    client.post(reverse("deadlines:alerts"), {"alert": [str(alert.pk), "x", "9" * 30]})
    alert.refresh_from_db()
    assert alert.read_at is not None
    assert 'data-alerts="0"' in client.get(reverse("applications:inbox")).content.decode()


def test_alerts_are_private_and_mark_all_read(users, login, late_case):
    enforce_deadlines()
    clerk_client = login(users["clerk"])
    head_alert = DeadlineAlert.objects.get(user=users["head"])
    clerk_client.post(reverse("deadlines:alerts"), {"alert": str(head_alert.pk)})
    head_alert.refresh_from_db()
    assert head_alert.read_at is None  # someone else's alert is untouched
    assert late_case.number not in clerk_client.get(reverse("deadlines:alerts")).content.decode()
    head_client = login(users["head"])
    head_client.post(reverse("deadlines:alerts"), {"all": "1"})
    assert not DeadlineAlert.objects.filter(user=users["head"], read_at__isnull=True).exists()


def test_alerts_page_is_refused_to_applicants(users, login):
    assert login(users["citizen"]).get(reverse("deadlines:alerts")).status_code == 403
