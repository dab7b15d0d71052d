"""Public queue pages: the index of published lists, a list page (pages read as ordinal ranges, search by
application number), earlier publications, file downloads with attachment headers, and the verifier script."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from queues.models import PublishedRow, PublishedSnapshot, QueueList, SnapshotKind, SnapshotStatus

pytestmark = pytest.mark.django_db

LANGUAGES = ("kk", "ru", "en")


def _snapshot(queue_list, rows: int, *, name="2026-11", days_ago=0, files=True, pruned=False, media=None,
              status=SnapshotStatus.PUBLISHED, seal=b"") -> PublishedSnapshot:
    """A publication made by hand, its files named as queues.services.publication names them."""
    stem = f"published/{queue_list.provider.code}/{queue_list.code}/{name.replace(' ', '-').lower()}"
    snapshot = PublishedSnapshot.objects.create(
        queue_list=queue_list, kind=SnapshotKind.MONTHLY, name=name, status=status,
        published_at=timezone.now() - timedelta(days=days_ago), row_count=rows, as_of_seq=rows,
        chain_head="ab" * 32, rows_pruned=pruned, manifest={"list": queue_list.code}, manifest_signature=seal,
        csv_path=f"{stem}.csv" if files else "", pdf_path=f"{stem}.pdf" if files else "",
        log_path=f"{stem}.jsonl" if files else "",
    )
    if files and media is not None:
        base = Path(media) / stem
        base.parent.mkdir(parents=True, exist_ok=True)
        base.with_suffix(".csv").write_text("ordinal,application_number,initials,registered_on,category,status\n", "utf-8")
        base.with_suffix(".pdf").write_bytes(b"%PDF-1.7\n%test\n")
        base.with_suffix(".jsonl").write_text('{"seq":1}\n', "utf-8")
        base.with_suffix(".json").write_text('{"list":"%s"}' % queue_list.code, "utf-8")
        if seal:
            base.with_suffix(".p7s").write_bytes(seal)
    if not pruned:
        PublishedRow.objects.bulk_create(
            PublishedRow(snapshot=snapshot, ordinal=i, application_number=f"ALMATY-2026-{i:07d}",
                         initials="Ә. Қ.", registered_on=date(2026, 1, 1) + timedelta(days=i % 300),
                         category_code="LARGE_FAMILY" if i % 2 else "", status="registered" if i % 3 else "pending")
            for i in range(1, rows + 1)
        )
    return snapshot


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def almaty_list(department):
    return QueueList.objects.get(provider=department.provider, code="almaty-communal-general")


def _list_url(queue_list):
    return reverse("queues_public:list", args=[queue_list.provider.code, queue_list.code])


def _file_url(snapshot, kind):
    ql = snapshot.queue_list
    return reverse("queues_public:snapshot_file", args=[ql.provider.code, ql.code, snapshot.pk, kind])


@pytest.mark.parametrize("language", LANGUAGES)
def test_index_lists_every_active_list_with_its_latest_publication(client, almaty_list, media, language):
    client.cookies["kezek_language"] = language
    _snapshot(almaty_list, 3, name="2026-10", days_ago=30, media=media)
    latest = _snapshot(almaty_list, 7, name="2026-11", media=media, seal=b"0\x82seal")
    hidden = QueueList.objects.filter(provider=almaty_list.provider).exclude(pk=almaty_list.pk).first()
    hidden.is_active = False
    hidden.save()
    response = client.get(reverse("queues_public:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{language}"' in html
    assert _list_url(almaty_list) in html
    assert _list_url(hidden) not in html
    assert "2026-11" in html and "2026-10" not in html  # only the latest publication on the index
    for kind in ("csv", "pdf", "log", "manifest", "signature"):
        assert _file_url(latest, kind) in html
    assert reverse("queues_public:verify_tool") in html
    assert "verify_tool.py LOG.jsonl LIST.csv MANIFEST.json" in html and "openssl cms -verify" in html
    assert 'action="%s"' % reverse("queues_public:lookup") in html
    assert html.count(almaty_list.provider.name) >= 1 and "aktobe" in html  # both providers, grouped


def test_index_query_count_does_not_grow_with_lists(client, department, media, django_assert_max_num_queries):
    for ql in QueueList.objects.all()[:5]:
        _snapshot(ql, 2, media=media)
    with django_assert_max_num_queries(3):
        assert client.get(reverse("queues_public:index")).status_code == 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_list_page_shows_the_first_page_with_translated_categories(client, almaty_list, media, language):
    client.cookies["kezek_language"] = language
    _snapshot(almaty_list, 120, media=media)
    response = client.get(_list_url(almaty_list))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["ordinal"] for r in rows] == list(range(1, 51))
    assert response.context["pages"] == 3
    html = response.content.decode()
    assert "ALMATY-2026-0000050" in html and "ALMATY-2026-0000051" not in html
    from applications.models import Category

    category = Category.objects.get(code="LARGE_FAMILY")
    assert getattr(category, f"name_{language}") in html


def test_list_pages_are_ordinal_ranges_and_bad_page_numbers_are_clamped(client, almaty_list, media):
    _snapshot(almaty_list, 120, media=media)
    url = _list_url(almaty_list)
    with CaptureQueriesContext(connection) as queries:
        third = client.get(url + "?page=3")
    assert [r["ordinal"] for r in third.context["rows"]] == list(range(101, 121))
    row_queries = [q["sql"] for q in queries.captured_queries if "queues_publishedrow" in q["sql"]]
    assert row_queries and all("OFFSET" not in sql.upper() for sql in row_queries)
    assert any("BETWEEN" in sql.upper() for sql in row_queries)
    assert [r["ordinal"] for r in client.get(url + "?page=999").context["rows"]][0] == 101
    assert [r["ordinal"] for r in client.get(url + "?page=-4").context["rows"]][0] == 1
    assert [r["ordinal"] for r in client.get(url + "?page=abc").context["rows"]][0] == 1
    html = client.get(url + "?page=2").content.decode()
    assert "?page=1" in html and "?page=3" in html


def test_search_jumps_to_the_page_of_the_row_and_marks_it(client, almaty_list, media):
    _snapshot(almaty_list, 120, media=media)
    url = _list_url(almaty_list)
    response = client.get(url, {"number": " almaty-2026-0000077 "})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?page=2&mark=ALMATY-2026-0000077#row-77"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["page"] == 2
    assert 'id="row-77" class="marked" aria-current="true"' in html


def test_search_for_an_unknown_number_says_so(client, almaty_list, media):
    _snapshot(almaty_list, 10, media=media)
    response = client.get(_list_url(almaty_list), {"number": "NOPE-1<script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "NOPE-1&lt;SCRIPT&gt;" in html and "<SCRIPT>" not in html
    assert response.context["not_found"] == "NOPE-1<SCRIPT>"
    assert [r["ordinal"] for r in response.context["rows"]][0] == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_list_page_without_publication_and_with_older_pruned_ones(client, almaty_list, media, language):
    client.cookies["kezek_language"] = language
    url = _list_url(almaty_list)
    empty = client.get(url)
    assert empty.status_code == 200 and empty.context["latest"] is None
    old = _snapshot(almaty_list, 5, name="2025 Q1", days_ago=300, pruned=True, media=media)
    _snapshot(almaty_list, 6, name="2026-11", media=media)
    response = client.get(url)
    assert [s.pk for s in response.context["older"]] == [old.pk]
    html = response.content.decode()
    assert "2025 Q1" in html and _file_url(old, "csv") in html and _file_url(old, "pdf") in html


def test_latest_publication_with_pruned_rows_offers_files_only(client, almaty_list, media):
    snapshot = _snapshot(almaty_list, 5, pruned=True, media=media)
    response = client.get(_list_url(almaty_list))
    assert response.status_code == 200 and response.context["rows"] == []
    assert _file_url(snapshot, "csv") in response.content.decode()


def test_generating_and_failed_snapshots_are_not_public(client, almaty_list, media):
    generating = _snapshot(almaty_list, 3, name="gen", status=SnapshotStatus.GENERATING, media=media)
    failed = _snapshot(almaty_list, 3, name="bad", status=SnapshotStatus.FAILED, media=media)
    response = client.get(_list_url(almaty_list))
    assert response.context["latest"] is None
    for snapshot in (generating, failed):
        assert client.get(_file_url(snapshot, "csv")).status_code == 404


@pytest.mark.parametrize(("provider", "code"), [("almaty", "no-such-list"), ("nowhere", "almaty-communal-general"),
                                                 ("aktobe", "almaty-communal-general")])
def test_unknown_provider_or_list_is_404(client, department, provider, code):
    assert client.get(reverse("queues_public:list", args=[provider, code])).status_code == 404


@pytest.mark.parametrize(("kind", "content_type", "body"), [
    ("csv", "text/csv; charset=utf-8", b"ordinal,application_number"),
    ("pdf", "application/pdf", b"%PDF-1.7"),
    ("log", "application/x-ndjson; charset=utf-8", b'{"seq":1}'),
    ("manifest", "application/json", b'{"list":'),
    ("signature", "application/pkcs7-signature", b"0\x82seal"),
])
def test_downloads_are_attachments_with_their_content_type(client, almaty_list, media, kind, content_type, body):
    snapshot = _snapshot(almaty_list, 2, media=media, seal=b"0\x82seal")
    response = client.get(_file_url(snapshot, kind))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(body)


def test_the_seal_is_served_from_the_database_when_no_file_lies_beside(client, almaty_list, media):
    snapshot = _snapshot(almaty_list, 2, media=media, seal=b"0\x82db-seal")
    (Path(media) / snapshot.csv_path).with_suffix(".p7s").unlink()
    response = client.get(_file_url(snapshot, "signature"))
    assert response.status_code == 200 and response.content == b"0\x82db-seal"
    assert response["Content-Disposition"].startswith("attachment;")


def test_downloads_of_missing_files_wrong_list_or_unknown_kind_are_404(client, department, almaty_list, media):
    snapshot = _snapshot(almaty_list, 2, media=media)
    assert client.get(_file_url(snapshot, "signature")).status_code == 404  # not sealed
    (Path(media) / snapshot.pdf_path).unlink()
    assert client.get(_file_url(snapshot, "pdf")).status_code == 404
    ql = snapshot.queue_list
    assert client.get(reverse("queues_public:snapshot_file", args=[ql.provider.code, ql.code, snapshot.pk, "exe"])).status_code == 404
    other = QueueList.objects.filter(provider=department.provider).exclude(pk=ql.pk).first()
    assert client.get(reverse("queues_public:snapshot_file",
                              args=[ql.provider.code, other.code, snapshot.pk, "csv"])).status_code == 404
    assert client.get(reverse("queues_public:snapshot_file",
                              args=[ql.provider.code, ql.code, 99999999, "csv"])).status_code == 404
    nofiles = _snapshot(almaty_list, 1, name="nofiles", files=False)
    assert client.get(_file_url(nofiles, "csv")).status_code == 404


def test_a_stored_path_never_leads_outside_media_root(client, almaty_list, media, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    snapshot = _snapshot(almaty_list, 1, media=media)
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(csv_path="../secret.txt", log_path=str(secret))
    assert client.get(_file_url(snapshot, "csv")).status_code == 404
    assert client.get(_file_url(snapshot, "log")).status_code == 404


def test_verify_tool_is_served_as_a_python_attachment(client, db):
    response = client.get(reverse("queues_public:verify_tool"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-python; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="verify_tool.py"'
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert body == (Path(__file__).resolve().parents[2] / "queues" / "verify_tool.py").read_bytes()


def test_published_pages_never_show_an_iin_or_a_full_name(client, department, users, media):
    """Places made from real people (file_case): the list page shows initials only."""
    from queues.models import QueueEntry
    from tests.factories import file_case, simulated_people

    people = simulated_people()[:3]
    cases = [file_case(department, users["operator"], person=p) for p in people]
    entry = QueueEntry.objects.get(application=cases[0])
    ql = entry.queue_list
    snapshot = PublishedSnapshot.objects.create(queue_list=ql, kind=SnapshotKind.ANNUAL, name="2027 Q1",
                                                status=SnapshotStatus.PUBLISHED, published_at=timezone.now(),
                                                row_count=len(cases))
    for ordinal, e in enumerate(QueueEntry.objects.filter(queue_list=ql).order_by("accepted_at", "queue_seq"), 1):
        PublishedRow.objects.create(snapshot=snapshot, ordinal=ordinal, application_number=e.application.number,
                                    initials=e.initials, registered_on=e.registered_on, category_code=e.category_code,
                                    status=e.status)
    pages = [client.get(reverse("queues_public:index")), client.get(_list_url(ql))]
    for response in pages:
        html = response.content.decode()
        assert cases[0].number in html or response is pages[0]
        for person in people:
            assert person.iin not in html
            assert person.surname not in html and f"{person.surname} {person.given_name}" not in html


def test_a_real_publication_is_browsable_and_its_downloads_verify(client, department, users, media, tmp_path):
    """publish_list (queues.services.publication) → the list page shows its rows, and the CSV, log and manifest
    downloaded from the public URLs pass the downloaded verify_tool.py run as a plain script."""
    import subprocess
    import sys

    from queues.services import entries, publication
    from tests.queue_places import new_list, new_place

    queue_list = new_list(department.provider)
    places = [new_place(queue_list, users["operator"], surname="Жұмабаев", given_name="Серік") for _ in range(4)]
    for place in places[:3]:
        entries.register_entry(place.application)
    entries.house_entry(places[0], decision_number="HD-1")
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED, snapshot.error

    page = client.get(_list_url(queue_list))
    assert [r["application_number"] for r in page.context["rows"]] == [p.application.number for p in places[1:]]
    html = page.content.decode()
    assert "Жұмабаев" not in html and places[1].holder.iin not in html
    downloaded = {}
    for kind, name in (("csv", "list.csv"), ("log", "log.jsonl"), ("manifest", "manifest.json")):
        response = client.get(_file_url(snapshot, kind))
        assert response.status_code == 200, kind
        assert response["Content-Disposition"].startswith(f'attachment; filename="{queue_list.code}-{snapshot.pk}-')
        downloaded[kind] = tmp_path / name
        downloaded[kind].write_bytes(b"".join(response.streaming_content))
    tool = tmp_path / "verify_tool.py"
    tool.write_bytes(b"".join(client.get(reverse("queues_public:verify_tool")).streaming_content))
    run = subprocess.run([sys.executable, "-I", str(tool), str(downloaded["log"]), str(downloaded["csv"]),
                          str(downloaded["manifest"])], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK:")
    assert client.get(_file_url(snapshot, "pdf"))["Content-Type"] == "application/pdf"
