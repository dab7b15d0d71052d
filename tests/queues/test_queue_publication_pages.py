"""The staff page of published lists: recent snapshots, "Publish now" through the outbox, progress, files."""

import pytest
from django.test import TestCase
from django.urls import reverse

from audit.models import OutboxMessage
from queues.models import PublishedSnapshot, QueueList, SnapshotKind, SnapshotStatus
from queues.services import publication
from tests.queue_places import new_place

pytestmark = pytest.mark.django_db
INDEX = reverse("queues_publication:index")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def our_list(department, users):
    queue_list = QueueList.objects.get(code="almaty-communal-general")
    for _ in range(3):
        new_place(queue_list, users["operator"])
    return queue_list


def _publish_url(queue_list):
    return reverse("queues_publication:publish", args=[queue_list.code])


def test_the_administrator_publishes_a_list_now_through_the_outbox(login, users, our_list):
    client = login(users["admin"])
    page = client.get(INDEX)
    assert page.status_code == 200
    assert _publish_url(our_list) in page.content.decode() and "almaty-communal-general" in page.content.decode()
    assert "aktobe-" not in page.content.decode()  # another provider's lists are not here
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_publish_url(our_list))
    assert response.status_code == 302 and response["Location"] == INDEX
    message = OutboxMessage.objects.get(topic="queues.publish")
    assert message.delivered_at is not None  # delivered in-process in tests (CELERY_TASK_ALWAYS_EAGER)
    snapshot = PublishedSnapshot.objects.get(queue_list=our_list)
    assert snapshot.status == SnapshotStatus.PUBLISHED and snapshot.kind == SnapshotKind.ON_DEMAND
    assert snapshot.requested_by == users["admin"] and snapshot.row_count == 3
    page = client.get(INDEX).content.decode()
    assert reverse("queues_publication:download", args=[snapshot.pk, "pdf"]) in page
    assert "<progress" not in page and 'http-equiv="refresh"' not in page


def test_a_double_click_starts_one_generation(login, users, our_list):
    client = login(users["admin"])
    first = client.post(_publish_url(our_list), follow=True)  # the worker has not picked it up yet
    second = client.post(_publish_url(our_list), follow=True)
    assert PublishedSnapshot.objects.filter(queue_list=our_list).count() == 1
    assert OutboxMessage.objects.filter(topic="queues.publish").count() == 1
    snapshot = PublishedSnapshot.objects.get(queue_list=our_list)
    assert snapshot.status == SnapshotStatus.GENERATING
    from django.contrib import messages

    assert [m.level for m in first.context["messages"]] == [messages.SUCCESS]
    assert [m.level for m in second.context["messages"]] == [messages.INFO]  # "already being published"
    # while it generates: a progress bar that a script polls, and a refresh for browsers without scripts
    page = second.content.decode()
    progress_url = reverse("queues_publication:progress", args=[snapshot.pk])
    assert f'data-publication-progress="{progress_url}"' in page and "<progress" in page
    assert '<noscript><meta http-equiv="refresh"' in page and "queues/publication-progress.js" in page
    assert client.get(progress_url).json() == {"status": "generating", "done": 0, "total": 0,
                                               "label": client.get(progress_url).json()["label"]}
    # progress counts the log's events written (3000), then the PDF's rows drawn (7000)
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(as_of_seq=3000, row_count=7000, progress_done=2000,
                                                           progress_total=10000)
    data = client.get(progress_url).json()
    assert (data["done"], data["total"]) == (2000, 10000) and "2000" in data["label"] and "3000" in data["label"]
    assert 'max="10000" value="2000"' in client.get(INDEX).content.decode()
    PublishedSnapshot.objects.filter(pk=snapshot.pk).update(progress_done=5000)
    label = client.get(progress_url).json()["label"]
    assert "2000" in label and "7000" in label


def test_only_the_administrator_publishes(login, users, our_list):
    for role in ("clerk", "head", "auditor"):
        client = login(users[role])
        assert _publish_url(our_list) not in client.get(INDEX).content.decode()
        assert client.post(_publish_url(our_list)).status_code == 403
    assert not PublishedSnapshot.objects.exists()


def test_snapshot_page_files_and_scope(login, users, our_list, department):
    snapshot = publication.publish_list(our_list, kind=SnapshotKind.MONTHLY)
    client = login(users["clerk"])
    page = client.get(reverse("queues_publication:snapshot", args=[snapshot.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert snapshot.chain_head in html and "kezek-queue-snapshot/1" in html and "verify_queue_log --snapshot" in html
    for kind in ("csv", "pdf", "log", "manifest"):
        response = client.get(reverse("queues_publication:download", args=[snapshot.pk, kind]))
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == publication.media_path(
            publication.snapshot_files(snapshot)[kind]).read_bytes()
    assert client.get(reverse("queues_publication:download", args=[snapshot.pk, "signature"])).status_code == 404
    assert client.get(reverse("queues_publication:download", args=[snapshot.pk, "secrets"])).status_code == 404
    progress = client.get(reverse("queues_publication:progress", args=[snapshot.pk])).json()
    assert progress["status"] == "published" and progress["done"] == progress["total"] == 3 + snapshot.as_of_seq
    # another provider's snapshot does not exist for this clerk
    theirs = publication.publish_list(QueueList.objects.get(code="aktobe-communal-general"), kind=SnapshotKind.MONTHLY)
    for name, args in (("snapshot", [theirs.pk]), ("progress", [theirs.pk]), ("download", [theirs.pk, "csv"])):
        assert client.get(reverse(f"queues_publication:{name}", args=args)).status_code == 404
    assert login(users["other_clerk"]).get(reverse("queues_publication:snapshot", args=[theirs.pk])).status_code == 200


def test_a_failed_snapshot_shows_its_error(login, users, our_list, settings, tmp_path):
    settings.KEZEK_PROVIDER_SEAL_P12 = str(tmp_path / "nowhere.p12")
    failed = publication.publish_list(our_list, kind=SnapshotKind.MONTHLY)
    assert failed.status == SnapshotStatus.FAILED
    client = login(users["admin"])
    from django.utils.html import escape

    assert escape(failed.error) in client.get(reverse("queues_publication:snapshot", args=[failed.pk])).content.decode()
    assert 'class="error"' in client.get(INDEX).content.decode()
