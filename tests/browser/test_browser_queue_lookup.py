"""The public position lookup in Debian's Chromium: from /queue/ a person enters the application number and IIN
and sees the live number and how it moved; a wrong IIN gets the one generic answer. No login, no script needed.

Selectors are form actions, field ids and element ids, never translated text (pages run in Kazakh).
"""

import pytest
from django.core.cache import cache
from django.db import transaction

from queues.services import entries
from tests.queue_places import new_list, new_place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit_lookup(page, number, iin):
    form = page.locator("form[action='/queue/lookup/']")
    form.locator("#id_number").fill(number)
    form.locator("#id_iin").fill(iin)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_public_lookup_shows_the_number_and_its_history(new_page, users):
    cache.clear()
    with transaction.atomic():  # the services lock the list's log head, as they do inside a request
        queue_list = new_list(users["admin"].provider)
        places = [new_place(queue_list, users["operator"], surname=s, given_name="Серік")
                  for s in ("Жұмабаев", "Оспанов", "Нұрланов", "Бекмұхамедов")]
        for place in places:
            entries.register_entry(place.application)
        entries.house_entry(places[0], decision_number="HD-1")  # one ahead housed: number 4 -> 3
    target = places[3]
    number, iin = target.application.number, target.holder.iin

    page = new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.goto("/queue/")
    assert page.locator("h1").count() == 1
    assert page.locator(f"a[href='/queue/{queue_list.provider.code}/{queue_list.code}/']").count() == 1
    _submit_lookup(page, number, iin)

    assert page.url.endswith("/queue/lookup/") and iin not in page.url
    assert page.locator("#lookup-position").inner_text().strip() == "3"
    assert page.locator("#lookup-ahead").inner_text().strip() == "2"
    history = page.locator("#lookup-history tbody tr")
    assert history.count() == 2  # the notified number, then the month someone ahead was housed
    assert history.nth(0).locator("td").last.inner_text().strip() == "4"
    assert history.nth(1).locator("td").last.inner_text().strip() == "3"
    assert page.locator("#lookup-housed tbody tr").count() >= 2
    assert page.locator("#lookup-estimate").inner_text().strip()
    html = page.content()
    assert iin not in html and "Бекмұхамедов" not in html
    assert page.locator("#id_iin").input_value() == ""  # never written back into the page

    _submit_lookup(page, number, places[2].holder.iin)  # somebody else's IIN
    assert page.locator("#lookup-no-match").is_visible()
    assert page.locator("#lookup-position").count() == 0 and page.locator("#lookup-history").count() == 0
    assert not problems, problems
