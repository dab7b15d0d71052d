"""A citizen applies using only the keyboard, in Debian's Chromium (WCAG 2.1.1 keyboard, 2.4.1 bypass blocks,
2.4.7 focus visible).

Sign in, the cabinet, every wizard step (housing, contacts, family, four scans, consents), the check-your-answers
page and the submit — with Tab, Shift+Tab, typing, arrows, Space and Enter only: no click(), fill(), check() or
select_option(). Scans are chosen through the file chooser that Space opens on the focused file input.
Every element that receives focus must show it (an outline or a box shadow), and on every page the skip link is
the first stop, is visible when focused and moves focus into the main content.
The journey ends on the confirmation page, and the case is in the database.
"""

import re

import pytest

from applications.models import Application, Category, DocumentType
from tests.factories import CITIZEN_IIN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eds_not_required")]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DOCUMENTS = ("identity_document", "address_registration", "no_housing_certificate", "category_certificate")
MAX_TABS = 80  # more stops than any page in the journey has; reaching it means the target is not in the tab order

FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '', type: e.type || '',
            value: e.value === undefined ? null : e.value, checked: !!e.checked,
            text: (e.innerText || e.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60),
            indicator: outline || !!shadow, inMain: !!e.closest('main'),
            onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < window.innerWidth};
}"""


def _focused(page):
    return page.evaluate(FOCUSED)


def _describe(state):
    return f"<{state['tag']} id={state['id']!r} name={state['name']!r}> {state['text']!r}" if state else "nothing"


def _assert_focus_visible(page, state):
    assert state is not None, f"focus was lost on {page.url}"
    assert state["indicator"], f"no visible focus indicator (outline/box-shadow) on {_describe(state)} at {page.url}"
    assert state["onScreen"], f"the focused element is off screen: {_describe(state)} at {page.url}"


def _tab_to(page, selector, *, backwards=False):
    """Press Tab until the element matching `selector` has focus; every stop on the way must show its focus."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        state = _focused(page)
        _assert_focus_visible(page, state)
        seen.append(_describe(state))
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return state
    raise AssertionError(f"{selector!r} not reached by Tab on {page.url}; focus went through:\n  " + "\n  ".join(seen))


def _skip_to_content(page):
    """The first Tab stop is the skip link; it shows when focused and Enter moves focus to <main>.

    A page that puts focus in its first field (the sign-in form's autofocus), or opens at #main after a form sent
    from an address ending in #main, is walked back with Shift+Tab."""
    autofocused = _focused(page)
    if autofocused is None:
        page.keyboard.press("Tab")
        state = _focused(page)
        _assert_focus_visible(page, state)
    else:
        if autofocused["id"] != "main":  # <main> itself is focused when the address ends in #main: no ring on purpose
            _assert_focus_visible(page, autofocused)
        assert autofocused["inMain"], f"{page.url} puts focus on {_describe(autofocused)}, outside main"
        state = _tab_to(page, "a.skip-link", backwards=True)
        page.keyboard.press("Shift+Tab")  # nothing before it: focus leaves the page, and Tab comes back to it
        assert page.evaluate("document.activeElement === document.body || document.activeElement === null"), (
            f"something precedes the skip link on {page.url}: {_describe(_focused(page))}")
        page.keyboard.press("Tab")
        state = _focused(page)
        _assert_focus_visible(page, state)
    assert page.evaluate("document.activeElement.matches('a.skip-link[href=\"#main\"]')"), (
        f"the first Tab stop on {page.url} is {_describe(state)}, not the skip link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", f"the skip link did not move focus to main on {page.url}"
    assert page.url.endswith("#main")
    # the next stop is inside the main content, past the header's menu and language switcher
    page.keyboard.press("Tab")
    state = _focused(page)
    _assert_focus_visible(page, state)
    assert state["inMain"], f"after the skip link, Tab went to {_describe(state)} outside main on {page.url}"
    page.keyboard.press("Shift+Tab")  # back to the start of main, so _tab_to can walk from there


def _arrive(page, path_part):
    """A new page has loaded: it is the expected one, and the skip link works on it."""
    page.wait_for_load_state()
    assert path_part in page.url, f"expected {path_part} but landed on {page.url}"
    assert not page.locator(".error-summary, p.error, .message-error").count(), page.locator("main").inner_text()
    _skip_to_content(page)


def _press_and_wait(page, key="Enter"):
    with page.expect_navigation():
        page.keyboard.press(key)


def _choose(page, selector, value):
    """Pick an option of the focused <select> with the arrow keys (Home, then Down until it is selected)."""
    _tab_to(page, selector)
    page.keyboard.press("Home")
    for _ in range(50):
        if page.evaluate("document.activeElement.value") == str(value):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {value!r} of {selector} not reachable with the arrow keys")


def _type_into(page, selector, text):
    _tab_to(page, selector)
    page.keyboard.type(text)
    assert page.evaluate("document.activeElement.value") == text


def _submit_with(page, selector, path_part):
    """Tab to a submit button, press Enter, arrive on the next page."""
    _tab_to(page, selector)
    _press_and_wait(page, "Enter")
    _arrive(page, path_part)


def test_a_citizen_applies_with_the_keyboard_only(new_page, department, users):
    category = Category.objects.get(code="LARGE_FAMILY")
    page = new_page()
    # Listening from the start turns Chromium's file chooser interception on before any key is pressed; enabling it
    # only inside expect_file_chooser() can lose the race with the key press.
    page.on("filechooser", lambda chooser: None)

    # sign in
    page.goto("/accounts/login/")
    _arrive(page, "/accounts/login/")
    _type_into(page, "#id_username", CITIZEN_IIN)
    _type_into(page, "#id_password", "demo-pass-2026")
    _press_and_wait(page, "Enter")  # Enter in a text field submits its form
    _arrive(page, "/cabinet/")

    # the cabinet's call to action is a link: Enter follows it
    _tab_to(page, "a[href='/cabinet/apply/']")
    _press_and_wait(page, "Enter")
    _arrive(page, "/cabinet/apply/housing/")

    # 1. where and category
    _choose(page, "#id_settlement", department.settlement.pk)
    _choose(page, "#id_fund", "communal")
    _choose(page, "#id_category", category.pk)
    _submit_with(page, "main form button[type=submit]", "/cabinet/apply/person/")

    # 2. contacts (the rest comes from the state database)
    _type_into(page, "#id_phone", "+77011234567")
    _type_into(page, "#id_email", "erlan@example.kz")
    _submit_with(page, "main form button[type=submit]", "/cabinet/apply/family/")

    # 3. family: nobody else, continue
    _submit_with(page, "form:has(input[name=action][value=continue]) button", "/cabinet/apply/documents/")

    # 4. documents: for each scan, the type by arrows and the file by Space on the file input
    for code in DOCUMENTS:
        _choose(page, "#id_document_type", DocumentType.objects.get(code=code).pk)
        _tab_to(page, "#id_file")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(files=[{"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": PDF + code.encode()}])
        assert page.evaluate("document.activeElement.files.length") == 1
        _submit_with(page, "form:has(input[name=action][value=upload]) button", "/cabinet/apply/documents/")
        assert f"{code}.pdf" in page.locator("ul.files").inner_text()
    _submit_with(page, "form:has(input[name=action][value=continue]) button", "/cabinet/apply/consents/")

    # 5. consents: Space ticks each box
    for name in ("property_check", "personal_data", "publication"):
        _tab_to(page, f"#id_{name}")
        page.keyboard.press("Space")
        assert page.evaluate("document.activeElement.checked"), name
    _submit_with(page, "main form button[type=submit]", "/cabinet/apply/review/")

    # check your answers: the answers are there, and a "Change" link leads back by keyboard too
    review = page.locator("main").inner_text()
    assert "+77011234567" in review and "category_certificate.pdf" in review
    _tab_to(page, "a.change[href='/cabinet/apply/person/']")
    _press_and_wait(page, "Enter")
    _arrive(page, "/cabinet/apply/person/")
    _submit_with(page, "main form button[type=submit]", "/cabinet/apply/family/")  # nothing changed: on through the steps
    _tab_to(page, "nav.steps a[href='/cabinet/apply/review/']")  # the step list jumps straight back
    _press_and_wait(page, "Enter")
    _arrive(page, "/cabinet/apply/review/")

    assert not Application.objects.exists()
    _submit_with(page, "form[action*='/submit/'] button[type=submit]", "/submitted/")

    number = page.locator("strong.big").inner_text().strip()
    assert re.fullmatch(r"ALMATY-\d{4}-\d{7}", number)
    case = Application.objects.get(number=number)
    assert case.applicant.iin == CITIZEN_IIN and case.category == category
    assert case.attachments.count() == len(DOCUMENTS)

    # and on to the case's page, still by keyboard
    _tab_to(page, f"a[href='/cabinet/applications/{number}/']")
    _press_and_wait(page, "Enter")
    _arrive(page, f"/cabinet/applications/{number}/")
    assert number in page.locator("h1").inner_text()
