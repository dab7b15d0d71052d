"""Hostile input: hypothesis throws random field values at every POST form a role can reach, and JSON at the
eligibility case parser.

The forms are discovered, not listed: for every URL in the permission matrix (tests/web/test_web_permission_matrix.py)
and every role that may open it, the page is fetched and each <form method="post"> on it (wizard steps, the ЦОН
operator form, the staff case actions, complaint, queue lookup, removal/restoration proposals, inventory answers,
allocation forms, /verify/ ...) becomes a target, with its field names. A new form is fuzzed without touching this
file. Each example posts text (Kazakh letters, RTL, NUL, emoji, SQL and HTML payloads, huge strings) or raw bytes
that are not UTF-8, and checks:
  - never a server error (500);
  - nothing half-saved: when the answer is an error page (4xx) the row counts of the tables a form writes are unchanged.
Staff case actions and queue removal/restoration proposals are also posted directly on every case state; the dwelling
CSV import gets random files; `check_eligibility` gets random and mutated JSON cases.
Runs derandomized with modest example counts (well under 90 s); KEZEK_FUZZ_EXAMPLES=2000 for a longer random hunt.
"""

import json
import os
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability_figures import tally_figures
from tests.web.conftest import world  # noqa: F401  (the fixture: cases owned by different people and branches)
from tests.web.test_web_permission_matrix import (
    ACTOR,
    ALL_URLS,
    ANON,
    EXPECTED,
    ROLES,
    _kwargs_for,
    _object_for,
)

pytestmark = pytest.mark.django_db

# Tables a form may write: any of them growing or shrinking behind an error answer is a half-saved change.
WATCHED = [
    "applications.Application", "applications.Attachment", "applications.Complaint",
    "queues.QueueEntry", "queues.QueueEvent", "queues.RemovalRequest", "queues.RestorationRequest",
    "queues.InventoryFinding", "queues.PublishedSnapshot", "audit.OutboxMessage", "documents.IssuedDocument",
    "notifications.Message",
]
SKIPPED_ACTIONS = ("/i18n/", "/accounts/logout")  # language switch and sign-out are not data forms

PAYLOADS = [
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "{% debug %}", "${7*7}",
    "' OR 1=1 --", "'; DROP TABLE applications_application; --", "=cmd|' /C calc'!A0", "+SUM(1)", "-1+1", "@SUM(1)",
    "Әңғүұқөһі ӘҢҒҮҰҚӨҺІ", "\u202eevil\u202c", "مرحبا", "שלום", "a\x00b", "\x00", "😀👨‍👩‍👧‍👦", "\ufeff", "0", "-1",
    "99999999999999999999999", "1e309", "NaN", "2026-02-30", "9999-12-31", "", " ", "\r\n", "../../etc/passwd",
    "000000000000", "123456789012", "КЗ-2026-000001", "true", "null", "[]", "{}",
]
_chars = st.characters(blacklist_categories=("Cs",))  # surrogates cannot travel in UTF-8 at all
TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(_chars, max_size=40),
    st.text(st.sampled_from("ӘәҢңҒғҮүҰұҚқӨөҺһІі0123456789 -<>\"'&\x00"), max_size=30),
    st.builds(lambda s, n: s * n, st.sampled_from(["A", "Ә", "😀", "<b>"]), st.integers(1000, 20000)),  # huge
)


class _Forms(HTMLParser):
    """POST forms on a page: (action, {field name: [option values]})."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._current = (a.get("action") or "", {})
                self.forms.append(self._current)
            else:
                self._current = None
        elif self._current is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            options = self._current[1].setdefault(a["name"], [])
            if a.get("value") is not None:
                options.append(a["value"])
            self._select = a["name"] if tag == "select" else None
        elif self._current is not None and tag == "option" and getattr(self, "_select", None):
            if a.get("value") is not None:
                self._current[1][self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _client(world, role):  # noqa: F811
    client = Client()
    if role != ANON:
        client.force_login(world.users[ACTOR[role]], backend="accounts.backends.IinOrUsernameBackend")
    return client


def discover(world):  # noqa: F811
    """Every (role, action URL, fields) reachable: pages each role may open (a 200 in the matrix), their POST forms."""
    targets, seen = [], set()
    for name, _route, converters in ALL_URLS:
        for row in EXPECTED.get(name, []):
            query = row.query() if callable(row.query) else row.query
            for role in ROLES:
                want = row.cells[role]
                if (want[0] if isinstance(want, tuple) else want) != 200:
                    continue
                value = _object_for(world, row.kind, role, "own")[0] if row.kind else None
                url = reverse(name, kwargs=_kwargs_for(converters, value, row.extra)) + (f"?{query}" if query else "")
                response = _client(world, role).get(url)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                parser = _Forms()
                parser.feed(response.content.decode("utf-8", "replace"))
                for action, fields in parser.forms:
                    target = urljoin(url, action) if action else url
                    if any(skip in target for skip in SKIPPED_ACTIONS):
                        continue
                    key = (role, target.split("?")[0], tuple(sorted(fields)))
                    if key not in seen:
                        seen.add(key)
                        targets.append((role, target, {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}))
    # JSON twin of the public lookup: no page carries a form for it.
    targets.append((ANON, reverse("queues_public:lookup_json"), {"number": [], "iin": []}))
    # Staff case actions and queue change proposals only show a form in the state that allows them: post to every
    # action on every case state in the world, as each staff role, with the fields of the action's form class.
    from applications.views.workflow import ACTIONS
    from queues.forms_register import RemovalForm, RestorationForm

    staff = ("clerk", "head", "executor", "administrator")
    for case in world.cases.values():
        for action, spec in ACTIONS.items():
            fields = {name: _choices(field) for name, field in spec.form.base_fields.items()}
            url = reverse("applications:case_action", args=[case.number, action])
            targets += [(role, url, fields) for role in staff]
        for name, form in (("propose_removal", RemovalForm), ("propose_restoration", RestorationForm)):
            url = reverse(f"queues_register:{name}", args=[case.number])
            fields = {n: _choices(f) for n, f in form.base_fields.items()}
            targets += [("administrator", url, fields), ("head", url, fields)]
    return targets


def _choices(field):
    return [str(value) for value, _label in getattr(field, "choices", None) or [] if value not in ("", None)][:20]


def counts():
    return {label: apps.get_model(label).objects.count() for label in WATCHED if _has_model(label)}


def _has_model(label):
    try:
        apps.get_model(label)
        return True
    except LookupError:
        return False


def _cached_targets(world):  # noqa: F811
    if "fuzz_targets" not in world.__dict__:
        world.__dict__["fuzz_targets"] = discover(world)
    return world.__dict__["fuzz_targets"]


def _check(response, before, label, examples, target):
    after = counts() if 400 <= response.status_code < 500 else before
    tally_figures("fuzz_forms", add={examples: 1, "server_errors": int(response.status_code >= 500),
                                     "half_saved": int(after != before)}, distinct={"forms_posted": target})
    assert response.status_code < 500, f"{label}: server error {response.status_code}"
    if response.status_code >= 400:
        assert after == before, f"{label}: answered {response.status_code} but rows changed"


# Modest and repeatable in `make test`; KEZEK_FUZZ_EXAMPLES=2000 for a longer, random hunt.
EXAMPLES = int(os.environ.get("KEZEK_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 150, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=not EXAMPLES)


def test_forms_are_discovered(world):  # noqa: F811
    """The fuzzing below covers the forms people actually use (a guard against discovery silently finding none)."""
    targets = _cached_targets(world)
    paths = {t[1] for t in targets}
    assert len(targets) >= 10, targets
    tally_figures("fuzz_forms", fixed={"forms_discovered": len(targets)})
    for needle in ("/apply/", "/do/register/", "/do/preliminary_refusal/", "/do/draft/", "/removal/",
                   "/restoration/", "/complaint/", "/operator/new/", "/cabinet/inventory/", "/dwellings/import/",
                   "/queue/lookup", "/verify/"):
        assert any(needle in p for p in paths), f"no form posting to {needle}: {sorted(paths)}"


@FUZZ
@given(data=st.data())
def test_random_field_values_never_500_nor_half_save(world, data):  # noqa: F811
    targets = _cached_targets(world)
    role, url, fields = data.draw(st.sampled_from(targets), label="target")
    values = {}
    for name, options in fields.items():
        # keep a real choice now and then (so the form gets past the first check and the deeper code runs)
        strategy = st.one_of(st.sampled_from(options), TEXT) if options else TEXT
        if data.draw(st.booleans(), label=f"send {name}"):
            values[name] = data.draw(strategy, label=name)
    for extra in data.draw(st.lists(st.sampled_from(["action", "id", "pk", "__proto__", "csrfmiddlewaretoken"]),
                                    max_size=2), label="extra"):
        values.setdefault(extra, data.draw(TEXT, label=extra))
    before = counts()
    response = _client(world, role).post(url, values)
    _check(response, before, f"POST {url} as {role} with {list(values)}", "field_examples", f"{role} {url}")


@FUZZ
@given(data=st.data(), body=st.binary(max_size=300))
def test_raw_bytes_never_500_nor_half_save(world, data, body):  # noqa: F811
    """Bodies that are not UTF-8, not form-encoded, or claim to be multipart without a boundary."""
    role, url, _fields = data.draw(st.sampled_from(_cached_targets(world)), label="target")
    content_type = data.draw(st.sampled_from([
        "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x",
        "application/json", "text/plain"]), label="content type")
    before = counts()
    response = _client(world, role).generic("POST", url, body, content_type=content_type)
    _check(response, before, f"POST {url} as {role} with {content_type}", "raw_body_examples", f"{role} {url}")


# Eligibility case input (eligibility/case.py through `manage.py check_eligibility`): a result, or the command's own
# input error; never another exception.
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(_chars, max_size=20),
                         st.sampled_from(["2026-02-30", "1990-02-15", "900215300126", "national-2025", "spouse", ""]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(_chars, max_size=12), inner, max_size=4)), max_leaves=15)


@st.composite
def mutated_cases(draw):
    from tests.eligibility.cases import BASE_CASE

    case = json.loads(json.dumps(BASE_CASE))
    for _ in range(draw(st.integers(1, 3))):
        node = case
        while True:
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                node = child
                continue
            how = draw(st.sampled_from(["replace", "delete", "add"]))
            if how == "replace":
                node[key] = draw(json_values)
            elif how == "delete" and isinstance(node, dict):
                del node[key]
            elif isinstance(node, dict):
                node[draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=".["), min_size=1, max_size=10))] = draw(json_values)
            break
    return case


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.one_of(json_values, mutated_cases(), st.lists(mutated_cases(), max_size=3)))
def test_check_eligibility_answers_or_names_the_bad_key(tmp_path, data):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tally_figures("fuzz_forms", add={"eligibility_json_examples": 1})
    try:
        call_command("check_eligibility", str(path), stdout=open(tmp_path / "out.json", "w"))
    except CommandError as error:
        message = str(error)
        assert message.startswith(("invalid case", "invalid input")), message
        return
    except Exception as error:  # anything else is a crash on bad input
        raise AssertionError(f"check_eligibility crashed with {error.__class__.__name__}: {error}") from error
    json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(mutated_cases())
def test_parse_case_error_names_the_bad_key(data):
    """CaseFormatError.path points at a key that exists in the input, or at a required key that is missing."""
    from eligibility.case import CaseFormatError, parse_case

    tally_figures("fuzz_forms", add={"case_parser_examples": 1})
    try:
        parse_case(data)
    except CaseFormatError as error:
        assert error.problem
        if error.path:
            head = re.split(r"[.\[]", error.path, maxsplit=1)[0]
            assert head in data or error.problem == "required", (error.path, error.problem)


# Dwelling stock CSV import (allocation/services/stock.py): a real upload whose content is random cells under the real
# header, random separators and encodings, or random bytes.
@st.composite
def dwelling_csv(draw):
    from allocation.services.stock import COLUMNS

    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=500))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = list(COLUMNS) if draw(st.booleans()) else draw(st.lists(st.sampled_from([*COLUMNS, "", "x", "Әй"]),
                                                                      max_size=12))
    rows = [sep.join(header)]
    cell = st.one_of(st.sampled_from(["almaty", "communal", "2", "45.5", "3", "yes", "no", "", "1e309", "-1"]), TEXT)
    for _ in range(draw(st.integers(0, 4))):
        rows.append(sep.join(draw(cell).replace("\n", " ")[:200] for _ in range(draw(st.integers(0, len(header) + 2)))))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]))
    return "\n".join(rows).encode(encoding, "replace")


@FUZZ
@given(content=dwelling_csv())
def test_dwelling_csv_import_never_500_nor_half_save(world, content):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    from allocation.models import Dwelling

    url = reverse("allocation:dwelling_import")
    before, dwellings = counts(), Dwelling.objects.count()
    response = _client(world, "administrator").post(url, {"file": SimpleUploadedFile("stock.csv", content, "text/csv")})
    after = (counts(), Dwelling.objects.count()) if 400 <= response.status_code < 500 else (before, dwellings)
    tally_figures("fuzz_forms", add={"dwelling_csv_examples": 1, "server_errors": int(response.status_code >= 500),
                                     "half_saved": int(after != (before, dwellings))},
                  distinct={"forms_posted": f"administrator {url}"})
    assert response.status_code < 500, f"POST {url}: server error {response.status_code}"
    if response.status_code >= 400:
        assert after == (before, dwellings), "error answer but rows changed"
