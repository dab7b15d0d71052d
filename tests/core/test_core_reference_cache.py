"""The per-process cache of reference rows intake reads (core/reference.py, issue 8 "Load").

It must never serve a row a changed table no longer has: a change in this process empties it at once, nothing is
kept while the changing transaction is open (it could roll back), and another process's change is seen after at
most KEZEK_REFERENCE_CACHE_SECONDS.
"""

from datetime import date

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Settlement
from applications.forms import OperatorApplicationForm
from applications.models import Application, Category, DocumentType
from applications.services.intake import required_document_types, resolve_queue_list
from core import reference
from deadlines.models import RegulationProfileVersion
from deadlines.services import current_profile_version
from eligibility.iin import make_iin
from tests.web.test_web_pages import REQUIRED_FOR_LARGE_FAMILY, new_url, operator_form
from tests.web.web_support import adults

pytestmark = pytest.mark.django_db


def _resident(k: int) -> str:
    """An IIN the individuals simulator answers as a living resident (serial 9xxx), like the load benchmark's."""
    return make_iin(date(1980, 1, 1 + k), "M", 9100 + k)


def _counting_loader(value="row"):
    calls = []

    def load():
        calls.append(1)
        return value

    return load, calls


def test_a_value_is_loaded_once_per_period(settings, monkeypatch):
    settings.KEZEK_REFERENCE_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(reference.time, "monotonic", lambda: clock[0])
    load, calls = _counting_loader()
    assert reference.remember("k", load) == "row"
    clock[0] += 4.9
    assert reference.remember("k", load) == "row"
    assert len(calls) == 1
    clock[0] += 0.2  # the period is over: read again
    reference.remember("k", load)
    assert len(calls) == 2


def test_zero_seconds_turns_the_cache_off(settings):
    settings.KEZEK_REFERENCE_CACHE_SECONDS = 0
    load, calls = _counting_loader()
    reference.remember("k", load)
    reference.remember("k", load)
    assert len(calls) == 2


def test_a_new_required_document_counts_at_once(reference_data):
    category = Category.objects.get(code="LARGE_FAMILY")
    extra = DocumentType.objects.create(code="extra_certificate", name_kk="x", name_ru="x", name_en="x", ordering=99)
    reference.forget()  # the test's own transaction is open; start caching from here
    before = required_document_types(category)
    assert required_document_types(category) is before  # served from the cache
    assert "extra_certificate" not in [dt.code for dt in before]
    category.required_documents.add(extra)  # only a many-to-many change: no row of a watched table is saved
    assert "extra_certificate" in [dt.code for dt in required_document_types(category)]


def test_a_deactivated_queue_list_is_not_served_from_the_cache(department):
    settlement, provider = department.settlement, department.provider
    found = resolve_queue_list(provider, settlement, "communal", Category.objects.get(code="LARGE_FAMILY"))
    assert found is not None
    reference.forget()
    assert resolve_queue_list(provider, settlement, "communal", Category.objects.get(code="LARGE_FAMILY")) == found
    found.is_active = False
    found.save()
    assert resolve_queue_list(provider, settlement, "communal", Category.objects.get(code="LARGE_FAMILY")) is None


def test_a_new_profile_version_is_current_at_once(department, users):
    provider = department.provider
    reference.forget()
    first = current_profile_version(provider)
    assert current_profile_version(provider) is first  # served from the cache
    second = RegulationProfileVersion.objects.create(provider=provider, code=first.code, version=first.version + 1,
                                                     definition=first.definition, note="re-issued", created_by=users["admin"])
    assert current_profile_version(provider).pk == second.pk


@pytest.mark.django_db(transaction=True)
def test_nothing_is_kept_while_the_changing_transaction_is_open(reference_data):
    """Rows a rolled-back transaction wrote are never served afterwards."""
    reference.forget()
    with pytest.raises(RuntimeError), transaction.atomic():
        doomed = DocumentType.objects.create(code="doomed", name_kk="x", name_ru="x", name_en="x", required_for_all=True)
        assert doomed in required_document_types(None)  # this transaction sees its own row...
        raise RuntimeError("rolled back")
    assert "doomed" not in [dt.code for dt in required_document_types(None)]  # ...nobody keeps it afterwards
    load, calls = _counting_loader()
    reference.remember("after", load)
    reference.remember("after", load)
    assert len(calls) == 1  # the transaction has ended: caching again


@pytest.mark.django_db(transaction=True)
def test_rows_a_thread_has_not_committed_never_reach_another_thread(reference_data):
    """Two threads of one process (runserver, a threaded worker): what one thread's open transaction wrote is
    neither kept for nor served to the other, and once it commits the other sees it."""
    import threading

    from django.db import connections

    reference.forget()
    codes = lambda: {dt.code for dt in required_document_types(None)}  # noqa: E731
    before = codes()
    written, read, written_again, read_again, committed = (threading.Event() for _ in range(5))
    seen = {}

    def writer():
        try:
            with transaction.atomic():
                DocumentType.objects.create(code="new_for_all", name_kk="x", name_ru="x", name_en="x",
                                            required_for_all=True)
                seen["writer"] = codes()  # its own row, read past the cache
                written.set()
                read.wait(10)
                seen["writer_again"] = codes()  # after the other thread has filled the cache: still its own view
                written_again.set()
                read_again.wait(10)
            committed.set()
        finally:
            connections.close_all()

    def reader():
        try:
            written.wait(10)
            seen["reader_before"] = codes()
            read.set()
            written_again.wait(10)
            seen["reader_again"] = codes()
            read_again.set()
            committed.wait(10)
            seen["reader_after"] = codes()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert "new_for_all" in seen["writer"] and "new_for_all" in seen["writer_again"]
    assert seen["reader_before"] == seen["reader_again"] == before  # the uncommitted row did not leak
    assert seen["reader_after"] == before | {"new_for_all"}  # the commit emptied the cache


def test_the_form_takes_choices_from_the_cache_and_refuses_what_is_not_offered(department, django_assert_num_queries):
    reference.forget()
    data = operator_form(department)
    narrowed = Settlement.objects.filter(pk=department.settlement.pk).select_related("provider")
    key = ("service_centre", department.centre.pk)
    assert OperatorApplicationForm(data, settlements=narrowed, settlements_key=key).is_valid()
    with django_assert_num_queries(0):  # settlement, category and the ticked documents: all cached
        form = OperatorApplicationForm(data, settlements=narrowed, settlements_key=key)
        assert form.is_valid(), form.errors
    assert [dt.code for dt in form.cleaned_data["documents_received"]] == sorted(
        REQUIRED_FOR_LARGE_FAMILY, key=lambda code: DocumentType.objects.get(code=code).ordering)
    # a settlement outside the narrowed choice is refused, although the unnarrowed form's cache holds it
    assert OperatorApplicationForm({**data, "settlement": department.other_settlement.pk}).is_valid()
    foreign = OperatorApplicationForm({**data, "settlement": department.other_settlement.pk}, settlements=narrowed,
                                      settlements_key=key)
    assert not foreign.is_valid() and "settlement" in foreign.errors
    for bad in ("abc", "999999", "1\x00"):
        form = OperatorApplicationForm({**data, "category": bad, "documents_received": [bad]}, settlements=narrowed,
                                       settlements_key=key)
        assert not form.is_valid()
        assert {"category", "documents_received"} <= form.errors.keys()


def test_a_choice_the_cache_does_not_hold_goes_to_the_database(department):
    """A row added in another process after this one cached the choices is found, not refused."""
    reference.forget()
    assert OperatorApplicationForm(operator_form(department)).is_valid()
    chosen = Category.objects.get(code="LARGE_FAMILY")
    del reference._values[("choices", "categories")][str(chosen.pk)]  # as if cached before the row existed
    form = OperatorApplicationForm(operator_form(department))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["category"] == chosen


@pytest.mark.usefixtures("eds_not_required")
def test_operator_intake_with_warm_reference_rows_is_pinned(department, users, login, django_assert_max_num_queries):
    """The whole accepted application in 14 statements once the reference rows are cached, plus the session and
    the user every request reads and the savepoint pair this test's transaction turns BEGIN/COMMIT into
    (bench/load_bench.py measures the same request over HTTP)."""
    client = login(users["operator"])
    form = operator_form(department)
    assert client.post(new_url(adults()[1].iin), form).status_code == 302
    reference.forget()  # the factories changed reference rows inside this test's transaction
    assert client.post(new_url(_resident(1)), form).status_code == 302  # warms the cache
    with django_assert_max_num_queries(14 + 2 + 2):
        response = client.post(new_url(_resident(2)), form)
    case = Application.objects.get(applicant__iin=_resident(2))
    assert response.status_code == 302 and response["Location"] == reverse("applications:operator_case", args=[case.number])
