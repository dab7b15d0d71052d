"""The public position lookup: application number + IIN of the place's holder → the live number, people ahead,
housing per year, an honest estimate and the position history; one generic message for every mismatch, a rate
limit per client address, no IIN or name in the page, the URL or the log, and a pinned query count."""

import logging
import re
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Channel, DecisionKind, Person
from queues.models import EntryStatus, PublishedRow, PublishedSnapshot, SnapshotKind, SnapshotStatus
from queues.services import entries
from tests.queue_places import new_list, new_place, synthetic_iin

pytestmark = pytest.mark.django_db

URL = "/queue/lookup/"
# The one answer to every mismatch, in English (the tests set the language cookie to en).
GENERIC = "No place in the queue was found for this application number and IIN."
# Names the places are made with: none may ever appear on a public page.
SURNAMES = ["Жұмабаев", "Сейітқалиева", "Оспанов", "Тоқтарова", "Нұрланов", "Бекмұхамедова"]
GIVEN = ["Серік", "Ақмарал", "Бауыржан", "Гүлнар", "Ерасыл", "Дана"]


@pytest.fixture(autouse=True)
def _clean_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def en(client):
    client.cookies["kezek_language"] = "en"
    return client


class _Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


def _at(year, month=6, day=15):
    return timezone.make_aware(datetime(year, month, day, 12, 0))


def _lookup(client, number, iin, **extra):
    return client.post(URL, {"number": number, "iin": iin}, **extra)


def _places(users, n, queue_list=None):
    ql = queue_list or new_list(users["admin"].provider)
    return [new_place(ql, users["operator"], surname=SURNAMES[i % 6], given_name=GIVEN[i % 6]) for i in range(n)]


@pytest.fixture
def moved(users):
    """Six places; p4 registered as number 5, then one ahead housed, one removed, one refused, one restored.

    p0..p5 in key order; p2 stays pending until it is refused; p5 stays pending throughout.
    """
    places = _places(users, 6)
    for i in (0, 1, 3, 4):
        entries.register_entry(places[i].application)
    target = places[4]
    target.refresh_from_db()
    assert target.notified_number == 5
    entries.house_entry(places[0], decision_number="HD-1")
    entries.remove_entry(places[1], ground="MOVED_AWAY", legal_basis="Law art. 73 p. 1 sub. 3", request_id=1)
    entries.on_case_transition(places[2].application, "sign_refusal")
    entries.restore_entry(places[1], basis="COURT_ORDER", legal_basis="Court decision 2-123/2026", request_id=2)
    return places


def test_the_holder_sees_the_live_number_and_why_it_moved(en, moved):
    target = moved[4]
    response = _lookup(en, target.application.number.lower(), target.holder.iin)
    assert response.status_code == 200
    result = response.context["result"]
    assert result["position"] == 3 and result["ahead"] == 2  # p1 (restored) and p3
    assert result["notified"] == 5
    history = result["history"]
    assert len(history) == 1
    step = history[0]
    assert {kind: n for _, n, kind in step["moves"]} == {"housed": 1, "removed": 1, "left": 1, "restored": 1}
    assert step["restorations"] == [("Court order", "Court decision 2-123/2026")]
    assert step["number_after"] == 3
    html = response.content.decode()
    assert 'id="lookup-position">3<' in html
    assert "Court decision 2-123/2026" in html and "Court order" in html
    assert "people ahead were provided with housing" in html
    assert "There is no basis for an estimate." in html  # nothing housed in a full year yet
    assert "no-store" in response["Cache-Control"]


def test_a_pending_place_holds_its_number_and_has_no_history_yet(en, moved):
    pending = moved[5]
    response = _lookup(en, pending.application.number, pending.holder.iin)
    result = response.context["result"]
    assert result["position"] == 4  # p1, p3, p4 ahead
    assert result["notified"] is None and result["history"] == []
    html = response.content.decode()
    assert "Pending a decision: the application holds its place in the queue" in html
    assert "The history of your number starts with the registration decision" in html


def test_a_real_case_through_intake_and_decision(en, department, users, settings):
    """Two cases through the real services: the first pending, the second registered by the signed decision."""
    from applications.services import review
    from tests.factories import file_case, simulated_people

    settings.KEZEK_REQUIRE_EDS = False
    people = simulated_people()
    first = file_case(department, users["operator"], person=people[0])
    second = file_case(department, users["operator"], person=people[1])
    review.register_case(second, users["clerk"])
    review.assign_executor(second, users["head"], users["executor"])
    check = review.run_eligibility(second, users["executor"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        review.draft_decision(second, users["executor"], kind=DecisionKind.REGISTRATION,
                              override_reason="" if check.eligible else "registry record outdated")
        review.sign_decision(second, users["head"])
    second.queue_entry.refresh_from_db()
    assert second.queue_entry.status == EntryStatus.REGISTERED

    registered = _lookup(en, second.number, people[1].iin)
    assert registered.context["result"]["position"] == 2
    assert registered.context["result"]["notified"] == 2
    assert "Registered in the queue" in registered.content.decode()
    pending = _lookup(en, first.number, people[0].iin)
    assert pending.context["result"]["position"] == 1 and pending.context["result"]["ahead"] == 0
    assert "Nobody is ahead of you" in pending.content.decode()
    for response in (registered, pending):
        html = response.content.decode()
        for person in people[:2]:
            assert person.iin not in html and person.surname not in html


def test_an_estimate_from_five_full_years_of_housing(en, users):
    """Housed per year 1, 2, 1, 2, 2 over the last five full years, 3 people ahead: about 2–3 years."""
    this_year = timezone.localdate().year
    clock = _Clock(_at(this_year - 6))
    with mock.patch("django.utils.timezone.now", clock):
        places = _places(users, 12)
        for place in places:
            entries.register_entry(place.application)
        housed = iter(places[:8])
        for offset, count in zip(range(5, 0, -1), (1, 2, 1, 2, 2)):
            clock.now = _at(this_year - offset)
            for _ in range(count):
                entries.house_entry(next(housed), decision_number="HD")
    response = _lookup(en, places[11].application.number, places[11].holder.iin)
    result = response.context["result"]
    assert result["ahead"] == 3
    assert result["estimate"].years_low == 2 and result["estimate"].years_high == 3
    assert [n for _, n in result["housed"]] == [1, 2, 1, 2, 2, 0]
    html = response.content.decode()
    assert "About 2–3 years" in html
    assert "removed from the register or leave the queue before registration also move you forward" in html
    assert "on average 1.6 places a year" in html


def test_a_year_without_housing_gives_no_upper_limit(en, users):
    this_year = timezone.localdate().year
    clock = _Clock(_at(this_year - 3))
    with mock.patch("django.utils.timezone.now", clock):
        places = _places(users, 4)
        for place in places:
            entries.register_entry(place.application)
        clock.now = _at(this_year - 1)
        entries.house_entry(places[0], decision_number="HD")
    response = _lookup(en, places[3].application.number, places[3].holder.iin)
    assert response.context["result"]["estimate"].years_high is None
    html = response.content.decode()
    assert "At least about 2 years" in html and "no upper limit can be given" in html


def test_the_latest_published_number_is_shown(en, moved):
    target = moved[4]
    ql = target.queue_list
    old = PublishedSnapshot.objects.create(queue_list=ql, kind=SnapshotKind.MONTHLY, name="2026-10",
                                           status=SnapshotStatus.PUBLISHED, published_at=timezone.now() - timedelta(days=30))
    new = PublishedSnapshot.objects.create(queue_list=ql, kind=SnapshotKind.MONTHLY, name="2026-11",
                                           status=SnapshotStatus.PUBLISHED, published_at=timezone.now())
    for snapshot, ordinal in ((old, 9), (new, 4)):
        PublishedRow.objects.create(snapshot=snapshot, ordinal=ordinal, application_number=target.application.number,
                                    initials=target.initials, registered_on=target.registered_on, status="registered")
    response = _lookup(en, target.application.number, target.holder.iin)
    assert response.context["result"]["published"].ordinal == 4
    assert "No. 4 in publication 2026-11" in response.content.decode()


def test_lookup_query_count_is_pinned(client, moved, django_assert_max_num_queries):
    """Rate limit in the cache, then: the place, its position, housing per year, the history (start, monthly
    counts, and the restorations' legal basis because one moved this place), the published row."""
    target = moved[4]
    PublishedSnapshot.objects.create(queue_list=target.queue_list, kind=SnapshotKind.MONTHLY, name="2026-11",
                                     status=SnapshotStatus.PUBLISHED, published_at=timezone.now())
    number, iin = target.application.number, target.holder.iin
    _lookup(client, number, iin)  # the list's housing per year is now cached under its chain length
    with django_assert_max_num_queries(7):
        response = _lookup(client, number, iin)
    assert response.context["result"]["position"] == 3
    with django_assert_max_num_queries(1):
        assert _lookup(client, number, "000000000000").context["no_match"]


def _normalised(html: str, number: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(f'value="{number}"', 'value=""')


def test_every_mismatch_gets_the_same_answer(en, users, moved):
    target = moved[4]
    ql = target.queue_list
    stranger = Person.objects.create(iin=synthetic_iin(8888), surname="Қасымов", given_name="Арман",
                                     birth_date=datetime(1980, 1, 1).date() + timedelta(days=8888 % 9000), sex="M")
    listless = Application.objects.create(
        number="T-NOLIST-1", provider=ql.provider, settlement=ql.settlement, fund=ql.fund, queue_list=None,
        applicant=stranger, channel=Channel.PORTAL, regulation_profile="national-2025",
        accepted_at=timezone.now(), queue_seq=5 * 10**9, submitted_by=users["operator"], contact_phone="+77010000000",
    )
    refused = moved[2]
    attempts = {
        "wrong IIN": (target.application.number, moved[3].holder.iin),
        "valid IIN of nobody": (target.application.number, synthetic_iin(9999)),
        "no such number": ("ALMATY-2026-9999999", target.holder.iin),
        "case not in a queue": (listless.number, stranger.iin),
        "refused case, wrong IIN": (refused.application.number, target.holder.iin),
    }
    pages = {}
    for label, (number, iin) in attempts.items():
        response = _lookup(en, number, iin)
        assert response.status_code == 200, label
        assert response.context["result"] is None and response.context["no_match"], label
        html = response.content.decode()
        assert GENERIC in html, label
        pages[label] = _normalised(html, number.upper())
    assert len(set(pages.values())) == 1, "a mismatch must not tell which part was wrong"


@pytest.mark.parametrize(("index", "action", "shown"), [
    (0, "housed", "Housing has been provided"),
    (2, "refused", "This application holds no place in the queue"),
])
def test_a_closed_place_shows_its_state_and_no_number(en, moved, index, action, shown):
    place = moved[index]
    response = _lookup(en, place.application.number, place.holder.iin)
    result = response.context["result"]
    assert result["open"] is False and "position" not in result
    html = response.content.decode()
    assert shown in html and 'id="lookup-position"' not in html


def test_removed_place_shows_its_state(en, users):
    places = _places(users, 2)
    for place in places:
        entries.register_entry(place.application)
    entries.remove_entry(places[1], ground="OWN_REQUEST", legal_basis="Law art. 73", request_id=1)
    html = _lookup(en, places[1].application.number, places[1].holder.iin).content.decode()
    assert "This place was removed from the register." in html and 'id="lookup-position"' not in html


def test_after_succession_only_the_new_holder_finds_the_place(en, users):
    places = _places(users, 3)
    for place in places:
        entries.register_entry(place.application)
    heir = Person.objects.create(iin=synthetic_iin(7777), surname="Жұмабаева", given_name="Әлия",
                                 birth_date=datetime(1980, 1, 1).date() + timedelta(days=7777 % 9000), sex="M")
    old_holder = places[2].holder
    entries.continue_entry(places[2], heir, request_id=1)
    assert _lookup(en, places[2].application.number, old_holder.iin).context["no_match"]
    assert _lookup(en, places[2].application.number, heir.iin).context["result"]["position"] == 3


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_pages_render_in_every_language_without_personal_data(client, moved, language, caplog):
    client.cookies["kezek_language"] = language
    assert client.get(URL).status_code == 200
    caplog.set_level(logging.DEBUG)
    for place in moved:
        response = _lookup(client, place.application.number, place.holder.iin)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'lang="{language}"' in html
        for other in moved:
            assert other.holder.iin not in html
            assert other.holder.surname not in html and other.holder.given_name not in html
    for place in moved:
        assert place.holder.iin not in caplog.text
    wrong = _lookup(client, moved[4].application.number, "123456789012")
    assert wrong.status_code == 200 and wrong.context["no_match"]


def test_the_iin_is_never_taken_from_the_url_or_written_back(en, moved):
    target = moved[4]
    got = en.get(URL, {"number": target.application.number, "iin": target.holder.iin})
    assert got.status_code == 200 and got.context["result"] is None
    posted = _lookup(en, target.application.number, target.holder.iin)
    assert target.holder.iin not in posted.content.decode()
    assert re.search(r'<input[^>]*name="iin"[^>]*value=', posted.content.decode()) is None


def test_anonymous_lookups_write_no_session(client, moved):
    target = moved[4]
    response = _lookup(client, target.application.number, target.holder.iin)
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert Session.objects.count() == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"number": "", "iin": "900215300126"}, "number"),
    ({"number": "ALMATY-2026-0000001", "iin": "12345"}, "iin"),
    ({"number": "ALMATY-2026-0000001", "iin": "9002153001ab"}, "iin"),
    ({"number": "X" * 40, "iin": "900215300126"}, "number"),
])
def test_bad_input_is_a_form_error_and_not_counted(en, db, settings, data, field):
    settings.KEZEK_LOOKUP_RATE = "1/600"
    for _ in range(3):
        response = en.post(URL, data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert response.context["result"] is None and not response.context["no_match"]


def test_rate_limit_per_client_address(client, moved, settings):
    settings.KEZEK_LOOKUP_RATE = "3/600"
    target = moved[4]
    for _ in range(3):
        assert _lookup(client, target.application.number, "000000000000").status_code == 200
    for language in ("en", "ru", "kk"):
        client.cookies["kezek_language"] = language
        blocked = _lookup(client, target.application.number, target.holder.iin)
        assert blocked.status_code == 429
        assert blocked["Retry-After"] == "600"
        assert "queues/public/rate_limited.html" in [t.name for t in blocked.templates]
        assert blocked.context.get("result") is None
    client.cookies["kezek_language"] = "en"
    assert "Please try again in 10 minutes." in _lookup(client, "X-1", "000000000000").content.decode()
    other = _lookup(client, target.application.number, target.holder.iin, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200 and other.context["result"]["position"] == 3


def test_a_broken_cache_does_not_break_the_lookup(client, moved):
    target = moved[4]
    with mock.patch("queues.views_public.cache.add", side_effect=ConnectionError("cache down")):
        response = _lookup(client, target.application.number, target.holder.iin)
    assert response.status_code == 200 and response.context["result"]["position"] == 3


def test_index_page_carries_the_lookup_form(en, db):
    html = en.get(reverse("queues_public:index")).content.decode()
    assert f'action="{URL}"' in html and 'name="iin"' in html and 'method="post"' in html


# --- the same answer as JSON, for apps (/queue/lookup.json) -------------------------------------------------------

def _lookup_json(client, number, iin):
    return client.post(reverse("queues_public:lookup_json"), {"number": number, "iin": iin})


def test_json_lookup_gives_the_live_number_in_one_query(client, moved, django_assert_max_num_queries):
    target = moved[4]
    number, iin = target.application.number.lower(), target.holder.iin
    with django_assert_max_num_queries(1):
        response = _lookup_json(client, number, iin)
    assert response.status_code == 200 and "no-store" in response.get("Cache-Control", ""), response.headers
    answer = response.json()
    assert (answer["number"], answer["ahead"], answer["notified_number"], answer["status"]) == (3, 2, 5, "registered")
    assert answer["list"] == target.queue_list.code
    assert target.holder.iin not in response.content.decode()


def test_json_lookup_answers_every_mismatch_alike(client, moved):
    target = moved[4]
    wrong_iin = _lookup_json(client, target.application.number, moved[3].holder.iin)
    wrong_number = _lookup_json(client, "NO-SUCH-1", target.holder.iin)
    assert wrong_iin.status_code == wrong_number.status_code == 404
    assert wrong_iin.content == wrong_number.content
    assert _lookup_json(client, target.application.number, "12345").status_code == 400
    refused = moved[2]
    answer = _lookup_json(client, refused.application.number, refused.holder.iin).json()
    assert answer["status"] == "refused" and answer["number"] is None


def test_json_lookup_is_rate_limited(client, moved, settings):
    settings.KEZEK_LOOKUP_RATE = "2/600"
    target = moved[4]
    for _ in range(2):
        assert _lookup_json(client, target.application.number, target.holder.iin).status_code == 200
    limited = _lookup_json(client, target.application.number, target.holder.iin)
    assert limited.status_code == 429 and limited["Retry-After"] == "600"
