"""Published lists (issue 4): snapshot rows follow from the hash-chained log, the files verify, tampering is
caught, nothing personal is published, the manifest's seal verifies with openssl, one generation at a time."""

import io
import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import TestCase
from django.utils import timezone

from applications.models import Person
from queues import verify_tool
from queues.models import PublishedRow, PublishedSnapshot, QueueEntry, SnapshotKind, SnapshotStatus
from queues.selectors import latest_snapshot
from queues.services import entries, publication
from queues.services.ledger import export_log
from signatures.pki import SIGNING
from tests.factories import file_case, simulated_people
from tests.queue_places import new_list, new_place, synthetic_iin

pytestmark = pytest.mark.django_db
KAZAKH_CAPITALS = "ӘҒҚҢӨҰҮҺІ"


# --- building a list through the real services -------------------------------------------------------------------

@pytest.fixture
def people_list(department, users, eds_not_required):
    """Real people of the simulator filed through intake, plus synthetic places; every kind of log event."""
    cases = []
    for person in simulated_people()[1:5]:
        with TestCase.captureOnCommitCallbacks(execute=True):
            cases.append(file_case(department, users["operator"], person=person))
    queue_list = cases[0].queue_list
    assert all(c.queue_list_id == queue_list.pk for c in cases)
    queue_list.name_kk = f"Әлеуметтік осал топтар ({', '.join(KAZAKH_CAPITALS)})"
    queue_list.save(update_fields=["name_kk"])
    places = [QueueEntry.objects.get(application=c) for c in cases]
    places += [new_place(queue_list, users["operator"], accepted_at=timezone.now() + timedelta(minutes=i))
               for i in range(6)]
    for place in places[:8]:
        entries.register_entry(place.application)
    entries.remove_entry(_fresh(places[1]), ground="MOVED_AWAY", legal_basis="Law art. 73", request_id=1)
    entries.house_entry(_fresh(places[2]), decision_number="D-1")
    entries.restore_entry(_fresh(places[1]), basis="COURT_ORDER", legal_basis="Court 2-1/2026", request_id=2)
    entries.on_case_transition(places[9].application, "withdraw")  # a pending place leaves
    successor = Person.objects.create(iin=synthetic_iin(7777), surname="Өмірзақова", given_name="Ұлжан",
                                      birth_date="1980-01-01", sex="F")
    entries.continue_entry(_fresh(places[3]), successor, request_id=3)
    return queue_list, cases, successor


def _fresh(entry):
    return QueueEntry.objects.select_related("application", "queue_list").get(pk=entry.pk)


def _files(snapshot):
    return {kind: publication.media_path(path) for kind, path in publication.snapshot_files(snapshot).items()}


def _verify(files, *, log_lines=None, csv_text=None):
    log_lines = log_lines if log_lines is not None else files["log"].read_text(encoding="utf-8").splitlines(True)
    csv_text = csv_text if csv_text is not None else files["csv"].read_bytes().decode("utf-8")
    return verify_tool.verify(log_lines, csv_text, json.loads(files["manifest"].read_bytes()))


# --- rows, files and verification ---------------------------------------------------------------------------------

def test_published_rows_are_exactly_the_replayed_log(people_list):
    queue_list = people_list[0]
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.MONTHLY)
    assert snapshot.status == SnapshotStatus.PUBLISHED, snapshot.error
    assert snapshot.name == timezone.localtime().strftime("%Y-%m")
    assert latest_snapshot(queue_list) == snapshot
    # the log as exported now replays to exactly the rows in the database and in the CSV
    out = io.StringIO()
    export_log(queue_list, out, upto_seq=snapshot.as_of_seq)
    list_code, events = verify_tool.read_log(out.getvalue().splitlines())
    state = verify_tool.replay(list_code, events)
    assert state.seq == snapshot.as_of_seq and state.head == snapshot.chain_head
    rows = [
        {"ordinal": str(r.ordinal), "application_number": r.application_number, "initials": r.initials,
         "registered_on": r.registered_on.isoformat(), "category": r.category_code, "status": r.status}
        for r in PublishedRow.objects.filter(snapshot=snapshot).order_by("ordinal")
    ]
    assert rows == state.active_rows()
    assert snapshot.row_count == len(rows) == 8  # 10 places: one housed, one withdrawn; the removed one restored
    assert {r["status"] for r in rows} == {"registered", "pending"}
    assert "Ө. Ұ." in {r["initials"] for r in rows}  # the successor's initials after the death case
    # the files follow from the log, and the manifest names them all
    files = _files(snapshot)
    assert set(files) == {"csv", "pdf", "log", "manifest"}  # no seal configured here
    assert all(path.exists() for path in files.values())
    assert str(files["csv"].relative_to(publication.media_path(""))).startswith(
        f"published/{queue_list.provider.code}/{queue_list.code}/{snapshot.pk}-")
    state = _verify(files)
    assert len(state.active_rows()) == 8
    manifest = json.loads(files["manifest"].read_bytes())
    assert manifest == snapshot.manifest
    assert manifest["format"] == "kezek-queue-snapshot/1" and manifest["sealed"] is False
    assert manifest["row_count"] == 8 and manifest["as_of_seq"] == snapshot.as_of_seq
    assert files["csv"].read_text().splitlines()[0] == ",".join(verify_tool.CSV_COLUMNS)
    assert files["csv"].read_bytes().count(b"\n") == 9 and b"\r" not in files["csv"].read_bytes()
    import hashlib

    for kind, key in (("csv", "csv_sha256"), ("pdf", "pdf_sha256"), ("log", "log_sha256")):
        assert hashlib.sha256(files[kind].read_bytes()).hexdigest() == manifest[key]
    assert snapshot.progress_done == snapshot.progress_total == snapshot.as_of_seq + 8  # log events + PDF rows


def test_verification_fails_on_any_altered_event_row_or_deleted_event(people_list):
    queue_list = people_list[0]
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    files = _files(snapshot)
    log_lines = files["log"].read_text(encoding="utf-8").splitlines(True)
    csv_text = files["csv"].read_text(encoding="utf-8")
    _verify(files)

    def altered(index, **changes):
        event = json.loads(log_lines[index])
        event.update(changes)
        return log_lines[:index] + [json.dumps(event, ensure_ascii=False) + "\n"] + log_lines[index + 1:]

    first = json.loads(log_lines[1])
    for tampered in (
        altered(1, number="ALMATY-2026-9999999"),  # (a) an event's application number
        altered(2, key=[first["key"][0].replace("T", "T0")[:26] + "Z", 1]),  # its key
        altered(3, kind="housed"),  # its kind
        altered(4, data={"initials": "X. Y.", "category": "", "registered_on": "2020-01-01"}),
    ):
        with pytest.raises(verify_tool.VerificationError):
            _verify(files, log_lines=tampered)
    # (b) one published row altered: the manifest's digest catches it, and so does the replay without a manifest
    lines = csv_text.splitlines(True)
    fields = lines[2].split(",")
    fields[2] = "Z. Z."
    altered_csv = "".join(lines[:2] + [",".join(fields)] + lines[3:])
    with pytest.raises(verify_tool.VerificationError, match="digest"):
        _verify(files, csv_text=altered_csv)
    with pytest.raises(verify_tool.VerificationError, match="published row 2"):
        verify_tool.verify(log_lines, altered_csv, None)
    swapped = "".join(lines[:2] + [lines[3], lines[2]] + lines[4:])  # two people change places
    with pytest.raises(verify_tool.VerificationError, match="published row 2"):
        verify_tool.verify(log_lines, swapped, None)
    # (c) an event deleted from the log
    with pytest.raises(verify_tool.VerificationError):
        _verify(files, log_lines=log_lines[:3] + log_lines[4:])
    with pytest.raises(verify_tool.VerificationError, match="expected sequence number 3"):
        verify_tool.verify(log_lines[:3] + log_lines[4:], csv_text, None)


def test_nothing_personal_is_published_and_the_pdf_speaks_kazakh(people_list):
    queue_list, cases, successor = people_list
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ANNUAL)
    assert snapshot.name == f"{timezone.localdate().year} Q1"
    files = _files(snapshot)
    pdf_text = subprocess.run(["pdftotext", "-layout", str(files["pdf"]), "-"], capture_output=True, text=True,
                              check=True).stdout
    texts = {kind: files[kind].read_text(encoding="utf-8") for kind in ("csv", "log", "manifest")}
    texts["pdf"] = pdf_text
    people = [c.applicant for c in cases] + [successor]
    people += [e.holder for e in QueueEntry.objects.filter(queue_list=queue_list).select_related("holder")]
    for kind, text in texts.items():
        for person in people:
            assert person.iin not in text, f"an IIN in the {kind}"
            assert person.surname not in text and person.full_name not in text, f"a name in the {kind}"
    for letter in KAZAKH_CAPITALS:
        assert letter in pdf_text
    for number in PublishedRow.objects.filter(snapshot=snapshot).values_list("application_number", flat=True):
        assert number in pdf_text
    assert "Бет / Страница 1 / 2" in pdf_text and snapshot.chain_head in pdf_text
    assert "БЕЗ ПЕЧАТИ" in pdf_text  # unsealed, and the pages say so


def test_an_empty_list_publishes_an_empty_snapshot(department, users):
    queue_list = new_list(department.provider)
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED and snapshot.row_count == 0 and snapshot.as_of_seq == 0
    files = _files(snapshot)
    assert files["csv"].read_text() == ",".join(verify_tool.CSV_COLUMNS) + "\n"
    assert _verify(files).seq == 0


# --- the provider's seal -----------------------------------------------------------------------------------------

def _seal_key(trust, tmp_path, settings):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Тұрғын үй қатынастары бөлімі — мөр"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Алматы қаласының тұрғын үй басқармасы"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "BIN990140000016"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])
    path = tmp_path / "seal.p12"
    path.write_bytes(trust.nca.issue(subject, usage=SIGNING).p12("seal-pass"))
    settings.KEZEK_PROVIDER_SEAL_P12 = str(path)
    settings.KEZEK_PROVIDER_SEAL_PASSWORD = "seal-pass"
    return path


def _openssl_verify(files, root_pem: Path):
    return subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(files["signature"]),
         "-content", str(files["manifest"]), "-CAfile", str(root_pem), "-out", "/dev/null"],
        capture_output=True, text=True, check=False)


def test_the_manifest_is_sealed_and_openssl_verifies_it(people_list, trust, tmp_path, settings):
    queue_list, _, _ = people_list
    _seal_key(trust, tmp_path, settings)
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED, snapshot.error
    files = _files(snapshot)
    assert snapshot.manifest["sealed"] is True and files["signature"].read_bytes() == bytes(snapshot.manifest_signature)
    root = tmp_path / "root.pem"
    root.write_bytes(trust.root_pem)
    result = _openssl_verify(files, root)
    assert result.returncode == 0, result.stderr
    assert "successful" in result.stderr
    info = publication.verify_seal(bytes(snapshot.manifest_signature), files["manifest"].read_bytes())
    assert info.bin == "990140000016" and not info.iin
    # a changed manifest no longer verifies
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(files["manifest"].read_bytes().replace(b'"row_count": 8', b'"row_count": 9'))
    assert _openssl_verify({**files, "manifest": tampered}, root).returncode != 0
    from signatures.errors import TamperedContent

    with pytest.raises(TamperedContent):
        publication.verify_seal(bytes(snapshot.manifest_signature), tampered.read_bytes())
    assert "Манифест подписан печатью" in subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True,
                                                          text=True, check=True).stdout


def test_the_demo_ca_issues_a_provider_seal_that_openssl_trusts(people_list, settings, tmp_path):
    from django.core.management import call_command

    queue_list, _, _ = people_list
    settings.KEZEK_TRUST_DIR = tmp_path / "trust"
    settings.KEZEK_REVOCATION_MODE = "require"
    settings.KEZEK_REVOCATION_FETCH = False
    call_command("demo_ca", force=True, stdout=io.StringIO())
    seal_path = tmp_path / "trust" / "demo-keys" / f"provider-seal-{queue_list.provider.code}.p12"
    assert seal_path.exists()
    before = seal_path.read_bytes()
    call_command("demo_ca", force=True, stdout=io.StringIO())
    assert seal_path.read_bytes() == before  # idempotent
    settings.KEZEK_PROVIDER_SEAL_P12 = str(tmp_path / "trust" / "demo-keys" / "provider-seal-{provider}.p12")
    settings.KEZEK_PROVIDER_SEAL_PASSWORD = "demo-pass-2026"
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED, snapshot.error
    result = _openssl_verify(_files(snapshot), tmp_path / "trust" / "roots" / "kezek-demo-root.pem")
    assert result.returncode == 0, result.stderr


def test_a_seal_that_cannot_be_read_fails_the_publication(people_list, settings, tmp_path):
    queue_list, _, _ = people_list
    settings.KEZEK_PROVIDER_SEAL_P12 = str(tmp_path / "missing.p12")
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.FAILED and "KEZEK_PROVIDER_SEAL_P12" in snapshot.error
    assert not PublishedRow.objects.filter(snapshot=snapshot).exists()
    assert not list(publication.media_path(f"published/{queue_list.provider.code}/{queue_list.code}").glob(
        f"{snapshot.pk}-*"))


# --- one generation at a time, failures, pruning ---------------------------------------------------------------------

def test_only_one_snapshot_of_a_list_generates_at_a_time(department, users):
    queue_list = new_list(department.provider)
    new_place(queue_list, users["operator"])
    first, created = publication.start_publication(queue_list, kind=SnapshotKind.ON_DEMAND)
    again, created_again = publication.start_publication(queue_list, kind=SnapshotKind.MONTHLY)
    assert created and not created_again and again == first
    with pytest.raises(IntegrityError), transaction.atomic():
        PublishedSnapshot.objects.create(queue_list=queue_list, kind="monthly", name="x", status="generating")
    # while another process works on it, publishing returns that snapshot and starts nothing
    with _held_elsewhere(first):
        snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot == first and snapshot.status == SnapshotStatus.GENERATING
    assert PublishedSnapshot.objects.filter(queue_list=queue_list).count() == 1


class _held_elsewhere:
    """Another worker generating `snapshot`: its advisory lock held from a second connection (PostgreSQL);
    on SQLite a fresh generating snapshot is left to whoever created it anyway."""

    def __init__(self, snapshot):
        self.snapshot, self.other = snapshot, None

    def __enter__(self):
        if connection.vendor == "postgresql":
            import psycopg2

            params = connection.get_connection_params()
            self.other = psycopg2.connect(**params)
            self.other.autocommit = True
            with self.other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [publication.LOCK_BASE + self.snapshot.pk])
        return self

    def __exit__(self, *exc):
        if self.other is not None:
            self.other.close()


def test_a_failed_generation_is_marked_failed_and_frees_the_list(department, users, monkeypatch):
    from queues import listpdf

    queue_list = new_list(department.provider)
    new_place(queue_list, users["operator"])
    original = listpdf.render_list_pdf

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"%PDF-1.4 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(listpdf, "render_list_pdf", broken)
    failed = publication.publish_list(queue_list, kind=SnapshotKind.MONTHLY)
    assert failed.status == SnapshotStatus.FAILED and "No space left on device" in failed.error
    assert not PublishedRow.objects.filter(snapshot=failed).exists() and latest_snapshot(queue_list) is None
    folder = publication.media_path(f"published/{queue_list.provider.code}/{queue_list.code}")
    assert not list(folder.glob(f"{failed.pk}-*"))  # no half files left behind
    monkeypatch.setattr(listpdf, "render_list_pdf", original)
    published = publication.publish_list(queue_list, kind=SnapshotKind.MONTHLY)
    assert published.status == SnapshotStatus.PUBLISHED and published.name == failed.name


def test_a_missing_font_is_a_clear_error(tmp_path):
    from queues import listpdf

    with pytest.raises(listpdf.FontNotFound, match="DejaVuSans-Oblique.ttf"):
        listpdf.register_fonts([str(tmp_path)], files={"KezekTestOblique": "DejaVuSans-Oblique.ttf"})


def test_rows_are_kept_for_the_two_newest_snapshots_and_files_forever(department, users):
    queue_list = new_list(department.provider)
    for _ in range(3):
        new_place(queue_list, users["operator"])
    snapshots = [publication.publish_list(queue_list, kind=SnapshotKind.MONTHLY) for _ in range(3)]
    assert [s.name for s in snapshots] == [snapshots[0].name, f"{snapshots[0].name} (2)", f"{snapshots[0].name} (3)"]
    for snapshot in snapshots:
        snapshot.refresh_from_db()
    assert [s.rows_pruned for s in snapshots] == [True, False, False]
    assert [PublishedRow.objects.filter(snapshot=s).count() for s in snapshots] == [0, 3, 3]
    assert all(path.exists() for path in _files(snapshots[0]).values())
    assert _verify(_files(snapshots[0])).seq == snapshots[0].as_of_seq
    with pytest.raises(publication.NameTaken):
        publication.start_publication(queue_list, kind=SnapshotKind.MONTHLY, name=snapshots[0].name)


def test_progress_is_reported_while_the_log_is_written_and_the_pdf_drawn(department, users, monkeypatch):
    queue_list = new_list(department.provider)
    for _ in range(130):
        new_place(queue_list, users["operator"])
    monkeypatch.setattr(publication, "PROGRESS_EVERY", 50)
    seen = []
    original = publication._progress
    monkeypatch.setattr(publication, "_progress", lambda s, done, total: (seen.append((done, total)), original(s, done, total)))
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    assert snapshot.status == SnapshotStatus.PUBLISHED and snapshot.as_of_seq == 130
    done = [d for d, _ in seen]
    assert all(total == 260 for _, total in seen) and done == sorted(done) and done[-1] == 260
    assert any(d < 130 for d in done) and any(130 < d < 260 for d in done)  # both steps report


def test_a_snapshot_left_generating_is_finished_by_the_periodic_resume(department, users):
    queue_list = new_list(department.provider)
    new_place(queue_list, users["operator"])
    snapshot, _ = publication.start_publication(queue_list, kind=SnapshotKind.MONTHLY)
    assert publication.resume_stalled() == 0  # fresh: left to the worker it was queued for
    age = publication.STALE_AFTER if connection.vendor != "postgresql" else publication.CLAIM_GRACE
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(created_at=timezone.now() - age - timedelta(minutes=1))
    with _held_elsewhere(snapshot):
        if connection.vendor == "postgresql":
            assert publication.resume_stalled() == 0  # a live worker holds it
    assert publication.resume_stalled() == 1
    snapshot.refresh_from_db()
    assert snapshot.status == SnapshotStatus.PUBLISHED and snapshot.row_count == 1


def test_default_names():
    moment = timezone.make_aware(timezone.datetime(2027, 3, 20, 3, 0))
    assert publication.default_name("monthly", moment) == "2027-03"
    assert publication.default_name("annual", moment) == "2027 Q1"
    assert publication.default_name("on_demand", moment) == "2027-03-20 03:00"


def test_the_csv_equals_the_rows_byte_for_byte_on_every_database(department, users):
    """COPY on PostgreSQL and the csv module on SQLite write the same bytes (a blank category is an empty field)."""
    queue_list = new_list(department.provider)
    new_place(queue_list, users["operator"])
    snapshot = publication.publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
    row = PublishedRow.objects.get(snapshot=snapshot)
    assert row.category_code == ""
    expected = (",".join(verify_tool.CSV_COLUMNS) + "\n"
                + f"1,{row.application_number},{row.initials},{row.registered_on.isoformat()},,pending\n")
    assert _files(snapshot)["csv"].read_text(encoding="utf-8") == expected


@pytest.fixture(autouse=True)
def _clean_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)
