"""200% zoom and printing, in Debian's Chromium.

a. WCAG 1.4.4 / 1.4.10: a 1280 px wide window zoomed to 200% is a 640 CSS px viewport at device scale 2. The key
   pages, in Kazakh, Russian and English, scroll only vertically, and their main heading, form controls, buttons
   and menu links lie within the window, with no text cut off by an overflow-hidden box.
b. The pages a person prints — the ЦОН acceptance and refusal-to-accept pages, the citizen's confirmation and case
   page, the staff case page with its decision, the public lookup result — print without the header, menu,
   language switcher, skip link, buttons and forms; black on white; document links show where they lead; table
   headers repeat on every page. Chromium's PDF of each page holds the application or receipt number.
"""

import shutil
import subprocess

import pytest
from django.core.cache import cache
from django.test import TestCase
from django.utils import translation
from django.utils.translation import gettext

from applications.models import Category, DecisionKind
from applications.services import review
from applications.services.intake import refuse_to_accept
from queues.models import SnapshotKind
from queues.services import publication
from tests.allocation.allocation_support import general_list, place
from tests.browser.conftest import sign_in
from tests.factories import file_case, simulated_people

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eds_not_required")]

ZOOMED = {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}  # a 1280×800 window at 200%
# Also the common 1366 and 1920 px wide windows at 200%: between the narrow-screen layout (≤ 40rem) and a desktop
# width, tables keep their columns and must still fit.
WINDOWS = (1280, 1366, 1920)

# What overflows at 200%: the page itself, the main heading, controls and menu links outside the window,
# and boxes that cut their text off (overflow hidden/clip with more content than room; .visually-hidden is meant to).
ZOOM_PROBLEMS = """() => {
    const W = window.innerWidth, problems = [];
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
        + ' "' + (e.innerText || e.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
    const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const inside = (e) => { const r = e.getBoundingClientRect(); return r.left >= -1 && r.right <= W + 1; };
    const width = document.documentElement.scrollWidth;
    if (width > W) problems.push('the page scrolls sideways: ' + width + ' > ' + W + '; widest: '
        + Array.from(document.querySelectorAll('body *')).filter(e => e.children.length === 0 && e.getBoundingClientRect().right > W + 1)
            .slice(0, 3).map(e => name(e) + ' ' + Math.round(e.getBoundingClientRect().right)).join(', '));
    const h1 = document.querySelector('main h1');
    if (!h1) problems.push('no main heading');
    else {
        if (!inside(h1)) problems.push('heading outside the window: ' + name(h1));
        if (h1.scrollWidth > h1.clientWidth + 1) problems.push('heading text overflows: ' + name(h1));
    }
    const controls = 'main input:not([type=hidden]), main select, main textarea, main button, main .button, main summary, '
        + 'header a, header button';
    for (const e of document.querySelectorAll(controls)) {
        if (shown(e) && !inside(e)) problems.push('outside the window: ' + name(e) + ' ' + Math.round(e.getBoundingClientRect().right));
    }
    for (const e of document.querySelectorAll('body *')) {
        if (e.closest('.visually-hidden') || !shown(e) || !e.textContent.trim()) continue;
        const s = getComputedStyle(e);
        const cuts = (v) => v === 'hidden' || v === 'clip';
        if ((cuts(s.overflowX) && e.scrollWidth > e.clientWidth + 1) || (cuts(s.overflowY) && e.scrollHeight > e.clientHeight + 1))
            problems.push('text cut off: ' + name(e));
    }
    return problems.slice(0, 8);
}"""

PRINT_STATE = """() => {
    const shown = (e) => getComputedStyle(e).display !== 'none' && getComputedStyle(e).visibility !== 'hidden'
        && e.getClientRects().length > 0;
    const hidden = ['.site-header', '.site-footer', '.lang-switch', '.skip-link', 'nav', 'main form', 'main button',
                    'main .button', '.actions', '.no-print'];
    const leaks = [];
    for (const selector of hidden) for (const e of document.querySelectorAll(selector))
        if (shown(e)) leaks.push(selector + ': ' + (e.innerText || '').trim().slice(0, 40));
    const main = document.querySelector('main'), body = getComputedStyle(document.body);
    const coloured = [];
    for (const e of main.querySelectorAll('*')) {
        if (!shown(e)) continue;
        const s = getComputedStyle(e);
        if (s.color !== 'rgb(0, 0, 0)') coloured.push(e.tagName.toLowerCase() + ' color ' + s.color);
        if (!['rgba(0, 0, 0, 0)', 'rgb(255, 255, 255)'].includes(s.backgroundColor)) coloured.push(e.tagName.toLowerCase() + ' background ' + s.backgroundColor);
    }
    const docLinks = Array.from(main.querySelectorAll('a[href$=".pdf"]')).filter(shown)
        .map(a => getComputedStyle(a, '::after').content);
    const heads = Array.from(main.querySelectorAll('table thead')).filter(shown).map(t => getComputedStyle(t).display);
    const rows = Array.from(main.querySelectorAll('table tr')).filter(shown).map(r => getComputedStyle(r).breakInside);
    return {leaks, coloured: coloured.slice(0, 5), docLinks, heads, rows, bodyBackground: body.backgroundColor,
            printOnly: Array.from(document.querySelectorAll('.print-only')).filter(shown).map(e => e.innerText.trim()),
            text: main.innerText, wide: document.documentElement.scrollWidth > window.innerWidth};
}"""


@pytest.fixture
def world(department, users, settings, tmp_path):
    """A citizen's case with a signed registration decision, a freshly accepted paper case, a refusal-to-accept
    receipt, and a published list with places for the lookup."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    people = simulated_people()
    decided = file_case(department, users["operator"], person=people[0])  # the demo citizen's own case
    with TestCase.captureOnCommitCallbacks(execute=True):
        review.register_case(decided, users["clerk"])
        review.assign_executor(decided, users["head"], users["executor"])
        check = review.run_eligibility(decided, users["executor"])
        review.draft_decision(decided, users["executor"], kind=DecisionKind.REGISTRATION,
                              override_reason="" if check.eligible else "test: documents prove otherwise")
        review.sign_decision(decided, users["head"])  # KEZEK_REQUIRE_EDS is off: no browser signature needed
    decided.refresh_from_db()
    assert decided.decisions.get().document is not None
    accepted = file_case(department, users["operator"], person=people[1])
    receipt = refuse_to_accept(operator=users["operator"], applicant=people[2],
                               category=Category.objects.get(code="LARGE_FAMILY"), documents_received=set(), language="kk")
    general = general_list(department)
    entries = [place(general, users["admin"], family=1, language="kk") for _ in range(3)]
    publication.publish_list(general, kind=SnapshotKind.ON_DEMAND, requested_by=users["admin"])
    return {"decided": decided, "accepted": accepted, "receipt": receipt, "list": general, "entry": entries[-1]}


@pytest.fixture
def open_page(browser, live_server, users):
    """A page in its own context, signed in as `who` (None: the public)."""
    contexts = []

    def _open(who, **options):
        context = browser.new_context(base_url=live_server.url, locale="kk", **options)
        context.add_cookies([{"name": "kezek_language", "value": "kk", "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        if who:
            sign_in(page, users[who].username)
        return page

    yield _open
    for context in contexts:
        context.close()


def _lookup(page, entry):
    """The public lookup showing a person's place (a POST: the number and IIN are not put in the address)."""
    cache.clear()  # the lookup's rate limit
    page.goto("/queue/lookup/")
    form = page.locator("main form[action='/queue/lookup/']")
    form.locator("#id_number").fill(entry.application.number)
    form.locator("#id_iin").fill(entry.application.applicant.iin)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("#lookup-position").count() == 1, page.locator("main").inner_text()


def test_key_pages_reflow_at_200_percent_zoom(open_page, world, live_server):
    decided, accepted, qlist = world["decided"], world["accepted"], world["list"]
    pages = [
        (None, "/"), (None, "/queue/"), (None, f"/queue/{qlist.provider.code}/{qlist.code}/"), (None, "lookup"),
        (None, "/accounts/login/"),
        ("citizen", "/cabinet/"), ("citizen", "/cabinet/apply/housing/"), ("citizen", "/cabinet/apply/documents/"),
        ("citizen", f"/cabinet/applications/{decided.number}/"),
        ("clerk", "/staff/inbox/"), ("clerk", f"/staff/cases/{accepted.number}/"), ("head", f"/staff/cases/{decided.number}/"),
        ("operator", f"/operator/new/?iin={simulated_people()[3].iin}"), ("operator", f"/operator/cases/{accepted.number}/"),
    ]
    found, tabs = [], {}
    for who, path in pages:
        if who not in tabs:
            tabs[who] = open_page(who, **ZOOMED)
        page = tabs[who]
        for language in ("kk", "ru", "en"):
            page.context.add_cookies([{"name": "kezek_language", "value": language, "url": live_server.url}])
            if path == "lookup":
                _lookup(page, world["entry"])
            else:
                response = page.goto(path)
                assert response.status == 200, (who, path, response.status)
            assert page.evaluate("document.documentElement.lang") == language
            for window in WINDOWS:
                page.set_viewport_size({"width": window // 2, "height": 400})
                assert page.evaluate("[window.innerWidth, window.devicePixelRatio]") == [window // 2, 2]
                for problem in page.evaluate(ZOOM_PROBLEMS):
                    found.append(f"[{language}] {window} px at 200%, {who or 'public'} {path}: {problem}")
            page.set_viewport_size(ZOOMED["viewport"])
    assert not found, "at 200% zoom:\n" + "\n".join(found)


def _pdf_text(page, tmp_path, name):
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run([shutil.which("pdftotext") or "pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_receipts_and_decisions_print_without_the_site_around_them(open_page, world, tmp_path):
    decided, accepted, receipt = world["decided"], world["accepted"], world["receipt"]
    entry = world["entry"]
    notification = decided.decisions.get().document
    printed = [
        # (who, path, what must be on paper, a .pdf link the page shows)
        ("operator", f"/operator/cases/{accepted.number}/", accepted.number, True),  # ЦОН: accepted, the receipt
        ("operator", f"/operator/refusals/{receipt.number}/", receipt.number, False),  # ЦОН: refusal to accept
        ("citizen", f"/cabinet/applications/{decided.number}/submitted/", decided.number, False),  # confirmation
        ("citizen", f"/cabinet/applications/{decided.number}/", notification.number, True),  # case and its decision
        ("head", f"/staff/cases/{decided.number}/", notification.number, True),  # staff case page with the decision
        (None, "lookup", entry.application.number, False),  # the public lookup result
    ]
    with translation.override("kk"):
        footer = gettext("Kezek is the housing department's register of citizens in need of housing. "
                         "The service is free.")
    tabs = {}
    for index, (who, path, number, has_document_link) in enumerate(printed):
        if who not in tabs:
            # about the width of an A4 page's printable area, so a table that would be cut off shows as overflow
            tabs[who] = open_page(who, viewport={"width": 680, "height": 900})
        page = tabs[who]
        page.emulate_media(media="screen")
        if path == "lookup":
            _lookup(page, entry)
        else:
            assert page.goto(path).status == 200, (who, path)
        assert page.evaluate("document.documentElement.lang") == "kk"
        screen = page.evaluate(PRINT_STATE)
        assert screen["leaks"] and not screen["printOnly"], (path, "the screen shows the site around the page")

        page.emulate_media(media="print")
        state = page.evaluate(PRINT_STATE)
        where = f"{who or 'public'} {path}"
        assert not state["leaks"], f"{where} prints {state['leaks']}"
        assert number in state["text"], f"{where}: {number} not printed"
        assert not state["coloured"] and state["bodyBackground"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), (where, state["coloured"])
        assert not state["wide"], f"{where} is wider than the paper"
        assert all(display == "table-header-group" for display in state["heads"]), (where, state["heads"])  # repeated per page
        assert all(rule == "avoid" for rule in state["rows"]), (where, state["rows"])  # a row is not split across pages
        if path == "lookup":
            assert state["heads"] and state["rows"], "the lookup result's tables are not printed"
        address = "/queue/lookup/" if path == "lookup" else path
        assert state["printOnly"] and address in state["printOnly"][-1], (where, state["printOnly"])  # where it came from
        if has_document_link:
            assert state["docLinks"] and all(".pdf" in content for content in state["docLinks"]), (where, state["docLinks"])

        text = _pdf_text(page, tmp_path, f"print-{index}-{number}")
        flat = "".join(text.split())  # pdftotext breaks lines where the paper does
        assert number in flat, f"{where}: {number} not in the PDF:\n{text[:500]}"
        for hidden_text in (footer, "Русский", "English"):  # the footer and the language switcher
            assert "".join(hidden_text.split()) not in flat, f"{where}: {hidden_text!r} printed"
