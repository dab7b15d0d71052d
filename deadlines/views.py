"""Deadline dashboards, staff alerts, and the regulation settings (profile versions, the calendar)."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import ability_required, has_ability

from . import selectors
from .calendar import WorkingCalendar
from .charts import PALETTE, Chart, bar_chart, line_chart
from .definition import DefinitionError, definition_to_text, describe_limit, profile_to_definition
from .forms import CalendarExceptionForm, ProfileVersionForm
from .labels import step_label
from .models import CalendarException, DeadlineAlert
from .profiles import BUILTIN_PROFILES
from .services import (
    CalendarError,
    add_calendar_exception,
    current_profile_version,
    publish_profile_version,
    remove_calendar_exception,
    versions_for,
)

# ---------------------------------------------------------------- dashboards


def _percent(on_time: int, total: int) -> tuple[float, str]:
    if not total:
        return 0.0, "—"
    rate = 100.0 * on_time / total
    return rate, f"{rate:.0f}%"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _hours(value: float) -> str:
    if value < 1:
        return _("%(m)d min") % {"m": round(value * 60)}
    return _("%(h)s h") % {"h": f"{value:.1f}"}


def build_charts(data: selectors.Dashboard) -> dict[str, Chart]:
    """Every chart and list of the dashboard, with the rows its table and CSV export show."""
    charts: dict[str, Chart] = {}

    rows = [[step_label(step), count] for step, count in data.by_step]
    chart = Chart("by_step", _("Open cases by step"),
                  _("How many open cases wait at each workflow step."), [_("Step"), _("Open cases")], rows)
    chart.svg = bar_chart(chart.id, chart.title, chart.description, [(label, n, str(n)) for label, n in rows],
                          integer=True)
    charts[chart.id] = chart

    rows = [[name, count] for name, count in data.by_person]
    chart = Chart("by_person", _("Open cases by person"),
                  _("How many open cases wait for each executor, or for the clerks, the head or a service centre."),
                  [_("Whose move"), _("Open cases")], rows)
    chart.svg = bar_chart(chart.id, chart.title, chart.description, [(label, n, str(n)) for label, n in rows],
                          color=PALETTE[2], integer=True)
    charts[chart.id] = chart

    for key, items, title, description, left_title in (
        ("overdue", data.overdue, _("Overdue"), _("Open steps past their due moment, the longest overdue first."),
         _("Overdue by")),
        ("due_soon", data.due_soon, _("Due soon"),
         # xgettext:no-python-format
         _("Open steps within 25% of their limit or 2 working hours of the due moment, whichever is smaller."),
         _("Time left")),
    ):
        rows = [[item.number, item.step_label, item.responsible, _local(item.due_at), item.left] for item in items]
        chart = Chart(key, title, description,
                      [_("Application number"), _("Step"), _("Whose move"), _("Due"), left_title], rows, kind="table")
        chart.items = items
        charts[key] = chart

    rows, bars = [], []
    for month, on_time, total in data.on_time_by_month:
        rate, shown = _percent(on_time, total)
        label = selectors.month_label(month)
        rows.append([label, on_time, total, shown])
        bars.append((label, rate, shown if total else "—"))
    chart = Chart("on_time_month", _("On-time rate per month"),
                  _("Share of results sent (or cases returned) by the service deadline, by the month they were sent."),
                  [_("Month"), _("On time"), _("Results"), _("On-time rate")], rows if any(r[2] for r in rows) else [])
    chart.svg = bar_chart(chart.id, chart.title, chart.description, bars if chart.rows else [], maximum=100,
                          color=PALETTE[0])
    charts[chart.id] = chart

    rows, bars = [], []
    for name, on_time, total in data.on_time_by_executor:
        rate, shown = _percent(on_time, total)
        rows.append([name, on_time, total, shown])
        bars.append((name, rate, shown))
    chart = Chart("on_time_executor", _("On-time review per executor"),
                  _("Share of each executor's reviews finished within the review limit, last 12 months."),
                  [_("Executor"), _("On time"), _("Reviews"), _("On-time rate")], rows)
    chart.svg = bar_chart(chart.id, chart.title, chart.description, bars, maximum=100, color=PALETTE[1])
    charts[chart.id] = chart

    rows = [[step_label(step), f"{median:.1f}", count] for step, median, count in data.median_by_step]
    chart = Chart("median_step", _("Median time per step"),
                  _("Median hours a finished step took (waiting for the applicant excluded), last 12 months."),
                  [_("Step"), _("Median, hours"), _("Finished steps")], rows)
    chart.svg = bar_chart(chart.id, chart.title, chart.description,
                          [(step_label(step), median, _hours(median)) for step, median, _n in data.median_by_step],
                          color=PALETTE[5])
    charts[chart.id] = chart

    labels = [selectors.month_label(month) for month in data.months]
    rows = [[name, *counts] for name, counts in data.queue_sizes]
    chart = Chart("queue_sizes", _("Queue sizes per list"),
                  _("Active (pending or queued) cases in each queue list at the end of each month."),
                  [_("Queue list"), *labels], rows, kind="line")
    top = sorted(data.queue_sizes, key=lambda s: -s[1][-1])[: len(PALETTE)]
    chart.svg = line_chart(chart.id, chart.title, chart.description, labels, top)
    charts[chart.id] = chart
    return charts


def _csv_cell(value) -> str:
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text  # no formula injection


def csv_response(chart: Chart) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kezek-{chart.id}-{timezone.localdate():%Y-%m-%d}.csv"'
    response.write("\ufeff")  # spreadsheet programs then read the Kazakh and Russian letters right
    writer = csv.writer(response)
    writer.writerow([_csv_cell(c) for c in chart.columns])
    for row in chart.rows:
        writer.writerow([_csv_cell(c) for c in row])
    return response


@ability_required("view_deadline_dashboards")
def dashboard(request):
    data = selectors.dashboard(request.user)
    charts = build_charts(data)
    if request.GET.get("format") == "csv":
        chart = charts.get(request.GET.get("chart", ""))
        if chart is None:
            raise Http404
        return csv_response(chart)
    return render(request, "deadlines/dashboard.html", {
        "data": data,
        "charts": charts,
        "graphs": [c for c in charts.values() if c.kind != "table"],
        "overdue": charts["overdue"],
        "due_soon": charts["due_soon"],
        "can_see_settings": has_ability(request.user, "view_regulation_settings"),
    })


# ---------------------------------------------------------------- alerts


@ability_required("view_deadline_alerts")
def alerts(request):
    mine = DeadlineAlert.objects.filter(user=request.user)
    if request.method == "POST":
        unread = mine.filter(read_at__isnull=True)
        if request.POST.get("all"):
            unread.update(read_at=timezone.now())
        else:
            ids = [int(v) for v in request.POST.getlist("alert") if v.isdigit() and len(v) < 19]
            if ids:
                unread.filter(pk__in=ids).update(read_at=timezone.now())
        return redirect("deadlines:alerts")
    page = Paginator(mine.select_related("application").order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "deadlines/alerts.html", {"page": page})


# ---------------------------------------------------------------- regulation profiles


def _may_manage(user) -> bool:
    return has_ability(user, "manage_regulation_settings")


def _limits_table(profile) -> list[dict]:
    emergency = dict(profile.emergency_steps)
    return [
        {"step": step_label(code), "limit": describe_limit(limit),
         "emergency": describe_limit(emergency[code]) if code in emergency else ""}
        for code, limit in profile.steps
    ]


@ability_required("view_regulation_settings")
def profiles(request):
    provider = request.user.provider
    rows = []
    for code in BUILTIN_PROFILES:
        version = current_profile_version(provider, code)
        rows.append({"code": code, "version": version, "profile": version.profile,
                     "in_use": provider.regulation_profile == code})
    return render(request, "deadlines/profiles.html", {
        "rows": rows, "provider": provider, "can_manage": _may_manage(request.user),
        "can_see_dashboard": has_ability(request.user, "view_deadline_dashboards"),
    })


@ability_required("view_regulation_settings")
def profile(request, code):
    if code not in BUILTIN_PROFILES:
        raise Http404
    provider = request.user.provider
    current = current_profile_version(provider, code)
    if request.method == "POST":
        if not _may_manage(request.user):
            raise PermissionDenied
        form = ProfileVersionForm(request.POST, code=code)
        if form.is_valid():
            try:
                version = publish_profile_version(provider, code, form.cleaned_data["definition"],
                                                  note=form.cleaned_data["note"], user=request.user)
            except DefinitionError as exc:
                form.add_error("note" if exc.path == "note" else None, str(exc))
            else:
                messages.success(request, _("Version %(n)d of the profile is published; new cases follow it, "
                                            "cases already accepted keep their version.") % {"n": version.version})
                return redirect("deadlines:profile", code=code)
    else:
        form = ProfileVersionForm(code=code, initial={"definition": definition_to_text(current.definition)})
    profile_ = current.profile
    return render(request, "deadlines/profile.html", {
        "code": code,
        "provider": provider,
        "current": current,
        "profile": profile_,
        "limits": _limits_table(profile_),
        "total": describe_limit(profile_.total),
        "emergency_total": describe_limit(profile_.emergency_total) if profile_.emergency_total else "",
        "other_limits": [
            (_("Hearing notice at least this long before the deadline"), describe_limit(profile_.hearing_notice_before_due)),
            (_("Hearing within this long after the notice"), describe_limit(profile_.hearing_within_after_notice)),
            (_("Complaint answered by the department within"), describe_limit(profile_.complaint_review_by_provider)),
            (_("Complaint answered by the quality-control authority within"), describe_limit(profile_.complaint_review_by_authority)),
            (_("Complaint settled by the department within"), describe_limit(profile_.complaint_settle_by_provider)),
        ],
        "versions": versions_for(provider, code),
        "form": form,
        "can_manage": _may_manage(request.user),
        "builtin_text": definition_to_text(profile_to_definition(BUILTIN_PROFILES[code])),
    })


# ---------------------------------------------------------------- the calendar


def _package_days_off(year: int) -> list[tuple[date, str]]:
    """The public holidays and decreed days off the holidays package knows for a year (weekdays only)."""
    import holidays

    known = holidays.country_holidays("KZ", years=year)
    plain = WorkingCalendar()
    return sorted((day, name) for day, name in known.items() if day.weekday() < 5 and not plain.is_working_day(day))


@ability_required("view_regulation_settings")
def calendar(request):
    if request.method == "POST":
        if not _may_manage(request.user):
            raise PermissionDenied
        form = CalendarExceptionForm(request.POST)
        if form.is_valid():
            try:
                add_calendar_exception(form.cleaned_data["date"], form.cleaned_data["kind"], form.cleaned_data["reason"],
                                       user=request.user)
            except CalendarError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The calendar exception is saved; deadlines count with it from now on."))
                return redirect("deadlines:calendar")
    else:
        form = CalendarExceptionForm()
    today = timezone.localdate()
    return render(request, "deadlines/calendar.html", {
        "form": form,
        "exceptions": CalendarException.objects.select_related("created_by").filter(
            Q(date__gte=today - timedelta(days=366))
        ),
        "package_days": _package_days_off(today.year) + _package_days_off(today.year + 1),
        "can_manage": _may_manage(request.user),
        "year": today.year,
    })


@require_POST
@ability_required("manage_regulation_settings")
def calendar_remove(request, pk):
    if pk >= 2**63:
        raise Http404
    exception = get_object_or_404(CalendarException, pk=pk)
    remove_calendar_exception(exception, user=request.user)
    messages.success(request, _("The calendar exception is removed."))
    return redirect("deadlines:calendar")

