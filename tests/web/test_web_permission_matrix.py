"""Permission matrix: every URL pattern × anonymous and every role × an object the user may see and one they may not.

The URL list is discovered by walking the resolver, so a new URL without a row in EXPECTED fails here.
The expected outcomes are data (EXPECTED below), derived from accounts/access.py:
  - a role without the ability gets 403; anonymous users are sent to the login page;
  - an object outside the user's scope is 404 (we never confirm that someone else's case exists);
  - scans and issued documents answer 404 to everyone who may not see them, anonymous users included.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from tests.reliability_figures import tally_figures

ANON = "anonymous"
ROLES = (ANON, *Role.values)  # anonymous, applicant, operator, clerk, head, executor, administrator, auditor

# The test user who plays each role (users fixture in tests/conftest.py).
ACTOR = {
    "applicant": "citizen",
    "operator": "operator",
    "clerk": "clerk",
    "head": "head",
    "executor": "executor",
    "administrator": "admin",
    "auditor": "auditor",
}

# For each role, the case it may see ("own") and a comparable case it may not ("other"); world fixture in conftest.py.
OWN_CASE = {
    ANON: "portal_case",
    "applicant": "portal_case",  # the citizen's own online case
    "operator": "centre_case",  # entered at the operator's branch
    "clerk": "portal_case",
    "head": "portal_case",
    "executor": "portal_case",  # assigned to this executor
    "administrator": "portal_case",
    "auditor": "portal_case",
}
OTHER_CASE = {
    ANON: "other_citizen_case",
    "applicant": "other_citizen_case",  # another citizen's case
    "operator": "other_branch_case",  # entered at another branch
    "clerk": "other_citizen_case",  # another provider's case
    "head": "other_citizen_case",
    "executor": "centre_case",  # same provider, assigned to another executor
    "administrator": "other_citizen_case",
    "auditor": "other_citizen_case",
}
# Refusal-to-accept receipts have no case: the issuing branch and the person (by IIN) may see them.
OWN_REFUSAL = {role: "refusal_own" for role in ROLES}  # issued at con-1 to the demo citizen
OTHER_REFUSAL = {role: "refusal_other" for role in ROLES}  # issued at con-2 to somebody else
# Complaints to the head: the demo citizen's on portal_case, and another citizen's on the other provider's case.
OWN_COMPLAINT = {role: "complaint_own" for role in ROLES}
OTHER_COMPLAINT = {role: "complaint_other" for role in ROLES}

LOGIN = "login"  # 302 to the login page
REDIRECT = 302  # 302 anywhere else (role home, next step, ...)


class Row:
    """Expected outcome for one URL name and one kind of object in its URL.

    `cells` follow ROLES: anonymous, applicant, operator, clerk, head, executor, administrator, auditor.
    A cell is one outcome, or a pair (outcome on the own object, outcome on the other object).
    `extra` fixes further URL parameters; `post` gives the outcomes of an empty POST where they differ from GET
    (without it, an empty POST must be refused exactly where GET is).
    """

    def __init__(self, kind, *cells, query="", extra=None, post=None):
        assert len(cells) == len(ROLES), f"{kind}: {len(cells)} cells for {len(ROLES)} roles"
        assert post is None or len(post) == len(ROLES), f"{kind}: {len(post)} POST cells for {len(ROLES)} roles"
        self.kind = kind
        self.cells = dict(zip(ROLES, cells))
        self.query = query
        self.extra = extra or {}
        self.post = dict(zip(ROLES, post)) if post else None


def _operator_new_query():
    from tests.web.web_support import adults

    return "iin=" + adults()[1].iin


# Short names for the table cells.
L = LOGIN  # sent to the login page
R = REDIRECT  # sent on (role home, next step, back to the workstation)
MINE = (200, 404)  # the own object opens, the other one is not found
NO = 404

# fmt: off
#                                    object        anon  appl  oper  clerk head  exec  admin audit
EXPECTED = {
    "home":                          [Row(None,      200,  R,    R,    R,    R,    R,    R,    R)],
    "healthz":                       [Row(None,      200,  200,  200,  200,  200,  200,  200,  200)],
    "accounts:login":                [Row(None,      200,  R,    R,    R,    R,    R,    R,    R)],
    "accounts:logout":               [Row(None,      405,  405,  405,  405,  405,  405,  405,  405)],  # POST only
    "accounts:home":                 [Row(None,      L,    R,    R,    R,    R,    R,    R,    R)],
    "applications:cabinet":          [Row(None,      L,    200,  403,  403,  403,  403,  403,  403)],
    "applications:apply_start":      [Row(None,      L,    R,    403,  403,  403,  403,  403,  403)],
    "applications:apply_step":       [Row("step",    L,    MINE, 403,  403,  403,  403,  403,  403)],
    "applications:apply_submit":     [Row("draft",   L,    405,  403,  403,  403,  403,  403,  403)],  # POST only
    "applications:case_status":      [Row("case",    L,    MINE, 403,  403,  403,  403,  403,  403)],
    "applications:submitted":        [Row("case",    L,    MINE, 403,  403,  403,  403,  403,  403)],
    "applications:operator_home":    [Row(None,      L,    403,  200,  403,  403,  403,  403,  403)],
    "applications:operator_new":     [Row(None,      L,    403,  R,    403,  403,  403,  403,  403),  # no IIN: back
                                      Row(None,      L,    403,  200,  403,  403,  403,  403,  403,
                                          query=_operator_new_query)],
    "applications:operator_case":    [Row("case",    L,    403,  MINE, 403,  403,  403,  403,  403)],
    "applications:operator_refusal": [Row("refusal", L,    403,  MINE, 403,  403,  403,  403,  403)],
    "applications:inbox":            [Row(None,      L,    403,  403,  200,  200,  200,  200,  200)],
    "applications:staff_case":       [Row("case",    L,    403,  403,  MINE, MINE, MINE, MINE, MINE)],
    "applications:case_action":      [Row("case",    405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          extra={"action": "register"},  # only a clerk registers, and only a new case
                                          post=(NO, (403, NO), (403, NO), (400, NO), (403, NO), (403, NO), (403, NO),
                                                (403, NO)))],
    "applications:withdraw":         [Row("case",    L,    MINE, NO,   NO,   NO,   NO,   NO,   NO)],
    "applications:upload_requested": [Row("case",    405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(NO, (R, NO), NO, NO, NO, NO, NO, NO))],
    "applications:complain":         [Row("case",    L,    MINE, NO,   NO,   NO,   NO,   NO,   NO)],
    "applications:complaints":       [Row(None,      L,    NO,   NO,   200,  200,  200,  200,  200)],
    "applications:complaint":        [Row("complaint", L,  NO,   NO,   MINE, MINE, MINE, MINE, MINE)],
    "applications:attachment":       [Row("scan",    NO,   MINE, MINE, MINE, MINE, MINE, MINE, MINE)],
    "documents:download":            [Row("receipt", NO,   MINE, MINE, MINE, MINE, MINE, MINE, MINE),
                                      Row("refusal", NO,   MINE, MINE, NO,   NO,   NO,   NO,   NO)],
    "documents:verify":              [Row(None,      200,  200,  200,  200,  200,  200,  200,  200)],
    # the head's browser asks for the decision PDF to sign (signatures/); an empty POST has no certificate: 400
    "signatures:prepare_decision":   [Row("case",    405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(NO, (403, NO), (403, NO), (403, NO), (400, NO), (403, NO), (403, NO),
                                                (403, NO)))],
    # EDS signing: only the head prepares a signature, on a case they may see; no certificate sent -> 400 (JSON)
    "signatures:prepare_decision":   [Row("case",    405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(NO, (403, NO), (403, NO), (403, NO), (400, NO), (403, NO), (403, NO),
                                                (403, NO)))],
    # deadlines (accounts/access.py: view_deadline_dashboards, view_regulation_settings, manage_regulation_settings,
    # view_deadline_alerts); an empty POST to a settings form re-renders it with errors for the administrator only
    "deadlines:dashboard":           [Row(None,      L,    403,  403,  403,  200,  403,  200,  200),
                                      Row(None,      L,    403,  403,  403,  200,  403,  200,  200,
                                          query="format=csv&chart=overdue")],
    "deadlines:alerts":              [Row(None,      L,    403,  200,  200,  200,  200,  200,  200)],
    "deadlines:profiles":            [Row(None,      L,    403,  403,  403,  200,  403,  200,  200)],
    "deadlines:profile":             [Row(None,      L,    403,  403,  403,  200,  403,  200,  200,
                                          extra={"code": "national-2025"},
                                          post=(L, 403, 403, 403, 403, 403, 200, 403))],
    "deadlines:calendar":            [Row(None,      L,    403,  403,  403,  200,  403,  200,  200,
                                          post=(L, 403, 403, 403, 403, 403, 200, 403))],
    "deadlines:calendar_remove":     [Row(None,      405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          extra={"pk": 999999},  # no such exception: the administrator gets 404
                                          post=(L, 403, 403, 403, 403, 403, 404, 403))],
    # public queue pages (queues/urls_public.py): everyone, no login; an empty lookup POST re-shows the form (200)
    "queues_public:index":           [Row(None,      200,  200,  200,  200,  200,  200,  200,  200)],
    "queues_public:lookup":          [Row(None,      200,  200,  200,  200,  200,  200,  200,  200)],
    "queues_public:lookup_json":     [Row(None,      405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(400, 400, 400, 400, 400, 400, 400, 400))],  # empty: malformed
    "queues_public:verify_tool":     [Row(None,      200,  200,  200,  200,  200,  200,  200,  200)],
    "queues_public:list":            [Row(None,      200,  200,  200,  200,  200,  200,  200,  200,
                                          extra={"provider_code": "almaty", "list_code": "almaty-communal-general"}),
                                      Row(None,      NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,  # unknown list
                                          extra={"provider_code": "almaty", "list_code": "no-such-list"},
                                          post=(405,) * 8)],  # read-only pages answer POST with 405
    "queues_public:snapshot_file":   [Row(None,      NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,  # no such snapshot
                                          extra={"provider_code": "almaty", "list_code": "almaty-communal-general",
                                                 "snapshot_id": 999999, "kind": "csv"},
                                          post=(405,) * 8)],
    # annual inventory (queues/urls_inventory.py): staff with view_queue_lists read their own provider's campaigns
    # and findings, only the administrator (manage_queue) acts; the holder answers in the cabinet (others: 404)
    "queues_inventory:campaigns":    [Row(None,      L,    403,  403,  200,  200,  200,  200,  200,
                                          post=(L, 403, 403, 403, 403, 403, 400, 403))],  # empty start form: 400
    "queues_inventory:campaign":     [Row("campaign", L,   403,  403,  MINE, MINE, MINE, MINE, MINE)],
    "queues_inventory:close":        [Row("campaign", 405, 405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "queues_inventory:resume":       [Row("campaign", 405, 405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "queues_inventory:finding":      [Row("finding", L,    403,  403,  MINE, MINE, MINE, MINE, MINE)],
    "queues_inventory:dismiss":      [Row("finding", 405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (400, NO), 403))],
    "queues_inventory:propose_removal": [Row("finding", 405, 405, 405, 405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (400, NO), 403))],
    "queues_inventory:answer":       [Row("finding", L,    MINE, 403,  403,  403,  403,  403,  403,
                                          post=(L, (400, NO), 403, 403, 403, 403, 403, 403))],
    # staff register (queues/urls_register.py): view_queue_lists reads its own provider's lists and places (another
    # provider's answer 404); the administrator proposes removals and restorations (manage_queue); the head or
    # another administrator decides (approve_queue_changes); an empty proposal re-shows the place with errors (200)
    "queues_register:lists":         [Row(None,      L,    403,  403,  200,  200,  200,  200,  200)],
    "queues_register:list":          [Row(None,      L,    403,  403,  200,  200,  200,  200,  200,
                                          extra={"list_code": "almaty-communal-socially-vulnerable"}),
                                      Row(None,      L,    403,  403,  NO,   NO,   NO,   NO,   NO,  # another provider's
                                          extra={"list_code": "aktobe-communal-socially-vulnerable"})],
    "queues_register:entry":         [Row("case",    L,    403,  403,  MINE, MINE, 200,  MINE, MINE)],  # executor: both cases are the own provider's
    "queues_register:propose_removal": [Row("case",  405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (200, NO), 403))],
    "queues_register:propose_restoration": [Row("case", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (200, NO), 403))],
    "queues_register:requests":      [Row(None,      L,    403,  403,  200,  200,  200,  200,  200)],
    "queues_register:decide":        [Row(None,      405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          extra={"kind": "removal", "pk": 999999},  # no such request: approvers get 404
                                          post=(L, 403, 403, 403, NO, 403, NO, 403))],
    "queues_register:request_document": [Row(None,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,  # like scans: 404
                                          extra={"kind": "removal", "pk": 999999})],
    # published lists (queues/urls_publication.py): view_queue_lists sees its own provider's snapshots (no such
    # snapshot: 404); only the administrator publishes (manage_queue), and only the own provider's lists
    "queues_publication:index":      [Row(None,      L,    403,  403,  200,  200,  200,  200,  200)],
    "queues_publication:publish":    [Row(None,      405,  405,  405,  405,  405,  405,  405,  405,  # POST only
                                          extra={"code": "almaty-communal-socially-vulnerable"},
                                          post=(L, 403, 403, 403, 403, 403, R, 403)),
                                      Row(None,      405,  405,  405,  405,  405,  405,  405,  405,  # another provider's
                                          extra={"code": "aktobe-communal-socially-vulnerable"},
                                          post=(L, 403, 403, 403, 403, 403, NO, 403))],
    "queues_publication:snapshot":   [Row(None,      L,    403,  403,  NO,   NO,   NO,   NO,   NO,
                                          extra={"pk": 999999})],
    "queues_publication:progress":   [Row(None,      L,    403,  403,  NO,   NO,   NO,   NO,   NO,
                                          extra={"pk": 999999})],
    "queues_publication:download":   [Row(None,      L,    403,  403,  NO,   NO,   NO,   NO,   NO,
                                          extra={"pk": 999999, "kind": "csv"})],
    # housing allocation (allocation/urls.py; accounts/access.py: view_allocation, manage_allocation, approve_skips,
    # sign_allocation_decision): staff read their own department's rounds, the administrator acts, a second officer
    # decides skips, the head signs; the holder answers in the cabinet, the branch's operator at the ЦОН; the register
    # of skips is public (a round still in draft is not). An empty POST to a form re-renders it (400) or goes back (R).
    "allocation:rounds":             [Row(None,      L,    403,  403,  403,  200,  403,  200,  200)],
    "allocation:round_create":       [Row(None,      L,    403,  403,  403,  403,  403,  200,  403,
                                          post=(L, 403, 403, 403, 403, 403, 400, 403))],
    "allocation:round":              [Row("alloc_round", L, 403, 403,  403,  MINE, 403,  MINE, MINE)],
    "allocation:round_dwellings":    [Row("alloc_round", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (400, NO), 403))],
    "allocation:round_remove_dwelling": [Row("alloc_round", 405, 405, 405, 405, 405, 405, 405, 405,  # POST only
                                          extra={"dwelling_pk": 999999},
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:round_shares":       [Row("alloc_round", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (400, NO), 403))],
    "allocation:round_propose":      [Row("alloc_round", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:round_send":         [Row("alloc_round", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:round_close":        [Row("alloc_round", 405, 405, 405, 405, 405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:skip_decide":        [Row("alloc_skip", 405, 405,  405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, (R, NO), 403, (R, NO), 403))],
    "allocation:decision_draft":     [Row("alloc_offer", 405, 405, 405,  405,  405,  405,  405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:decision":           [Row("alloc_decision", L, 403, 403, 403, MINE, 403,  MINE, MINE,
                                          post=(L, 403, 403, 403, 405, 403, 405, 405))],  # read-only page
    "allocation:decision_prepare":   [Row("alloc_decision", 405, 405, 405, 405, 405, 405, 405,  405,  # POST only
                                          post=(L, 403, 403, 403, (400, NO), 403, 403, 403))],  # no certificate: 400
    "allocation:decision_sign":      [Row("alloc_decision", 405, 405, 405, 405, 405, 405, 405,  405,  # POST only
                                          post=(L, 403, 403, 403, (400, NO), 403, 403, 403))],  # offer not accepted
    "allocation:dwellings":          [Row(None,      L,    403,  403,  403,  200,  403,  200,  200)],
    "allocation:dwelling_add":       [Row(None,      L,    403,  403,  403,  403,  403,  200,  403,
                                          post=(L, 403, 403, 403, 403, 403, 400, 403))],
    "allocation:dwelling_import":    [Row(None,      L,    403,  403,  403,  403,  403,  200,  403,
                                          post=(L, 403, 403, 403, 403, 403, 400, 403))],
    "allocation:dwelling_withdraw":  [Row("alloc_dwelling", 405, 405, 405, 405, 405, 405, 405,  405,  # POST only
                                          post=(L, 403, 403, 403, 403, 403, (R, NO), 403))],
    "allocation:centre":             [Row(None,      L,    403,  200,  403,  403,  403,  403,  403)],
    "allocation:centre_offer":       [Row("alloc_offer", L, 403, MINE, 403,  403,  403,  403,  403,
                                          post=(L, 403, (400, NO), 403, 403, 403, 403, 403))],
    "allocation:offer":              [Row("alloc_offer", L, MINE, 403, 403,  403,  403,  403,  403,
                                          post=(L, (400, NO), 403, 403, 403, 403, 403, 403))],
    "allocation:public_rounds":      [Row(None,      200,  200,  200,  200,  200,  200,  200,  200,
                                          post=(405,) * 8)],
    "allocation:public_round":       [Row("alloc_public_round", MINE, MINE, MINE, MINE, MINE, MINE, MINE, MINE,
                                          post=(405,) * 8)],
    # personal data (privacy/; accounts/access.py: export_own_data): only a citizen, and only their own data (no
    # object in the URL); an empty POST lacks the confirmation and re-shows the page (400), nothing is downloaded
    "privacy:my_data":               [Row(None,      L,    200,  403,  403,  403,  403,  403,  403,
                                          post=(L, 400, 403, 403, 403, 403, 403, 403))],
}
# fmt: on

SKIPPED_PREFIXES = ("django-admin/", "i18n/", "static")


def walk(patterns, prefix="", namespace=""):
    """(qualified name, route, converter names) for every URL pattern, recursively."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            if route.startswith(SKIPPED_PREFIXES):
                continue
            name = f"{namespace}{entry.name}" if entry.name else f"<unnamed {route}>"
            yield name, route, tuple(entry.pattern.converters)


ALL_URLS = sorted(set(walk(get_resolver().url_patterns)))


def test_every_url_pattern_is_named_and_in_the_table():
    names = [name for name, _, _ in ALL_URLS]
    assert len(names) == len(set(names)), f"two URL patterns share a name: {names}"
    missing = [name for name in names if name not in EXPECTED]
    assert not missing, f"URL patterns without a row in the permission matrix (add them to EXPECTED): {missing}"
    stale = sorted(set(EXPECTED) - set(names))
    assert not stale, f"rows for URL names that no longer exist: {stale}"


def _object_for(world, kind, role, variant):
    """(URL kwargs value, human label) for the object a role is tested with."""
    if kind == "case":
        key = (OWN_CASE if variant == "own" else OTHER_CASE)[role]
        return world.cases[key].number, key
    if kind == "scan":
        key = (OWN_CASE if variant == "own" else OTHER_CASE)[role]
        return world.attachments[key].pk, f"scan of {key}"
    if kind == "receipt":
        key = (OWN_CASE if variant == "own" else OTHER_CASE)[role]
        return world.receipts[key].number, f"receipt of {key}"
    if kind == "refusal":
        key = (OWN_REFUSAL if variant == "own" else OTHER_REFUSAL)[role]
        return world.refusals[key].number, key
    if kind == "complaint":
        key = (OWN_COMPLAINT if variant == "own" else OTHER_COMPLAINT)[role]
        return world.complaints[key].number, key
    if kind in ("campaign", "finding"):
        campaign, finding = _inventory(world, variant)
        return (campaign.pk, f"{variant} inventory") if kind == "campaign" else (finding.pk, f"{variant} inventory finding")
    if kind == "step":
        return ("housing", "the housing step") if variant == "own" else ("no-such-step", "an unknown step")
    if kind.startswith("alloc_"):  # housing allocation objects (tests/allocation/allocation_support.py)
        from tests.allocation.allocation_support import matrix_object

        return matrix_object(world, kind, role, variant)
    if kind == "draft":
        from applications.services.drafts import open_draft

        owner = world.users["citizen" if variant == "own" else "other_citizen"]
        return open_draft(owner).pk, f"draft of {owner.username}"
    raise AssertionError(f"unknown object kind {kind}")


def _inventory(world, variant):
    """An inventory with one finding: own = this provider's, about the demo citizen's place; other = the other
    provider's, about another citizen's place (created once per world)."""
    cache = world.__dict__.setdefault("inventory", {})
    if variant not in cache:
        from datetime import timedelta

        from django.utils import timezone

        from queues.models import CampaignStatus, FindingKind, InventoryCampaign, InventoryFinding

        case = world.cases["portal_case" if variant == "own" else "other_citizen_case"]
        campaign = InventoryCampaign.objects.create(
            provider=case.provider, year=2026, status=CampaignStatus.REVIEW, started_by=world.users["admin"],
            response_due=timezone.localdate() + timedelta(days=30), total=1, checked=1)
        cache[variant] = (campaign, InventoryFinding.objects.create(campaign=campaign, entry=case.queue_entry,
                                                                    kind=FindingKind.NOT_FOUND))
    return cache[variant]


def _kwargs_for(converters, value, extra):
    """The object goes into the one parameter that `extra` does not fix."""
    free = [name for name in converters if name not in extra]
    assert len(free) <= 1, f"teach the matrix about URLs with several object parameters: {converters}"
    return {**extra, free[0]: value} if free else dict(extra)


def _client_for(world, role):
    client = Client()
    if role != ANON:
        client.force_login(world.users[ACTOR[role]], backend="accounts.backends.IinOrUsernameBackend")
    return client


def _outcome(response):
    if response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize(("name", "route", "converters"), ALL_URLS, ids=[u[0] for u in ALL_URLS])
def test_permission_matrix(world, name, route, converters):
    assert name in EXPECTED, f"{name} ({route}) has no row in the permission matrix; add one to EXPECTED"
    mismatches, checked = [], 0
    for row in EXPECTED[name]:
        free = [c for c in converters if c not in row.extra]
        assert (row.kind is None) == (not free), f"{name}: row kind {row.kind!r} but URL parameters {converters}"
        query = row.query() if callable(row.query) else row.query
        for role in ROLES:
            client = _client_for(world, role)
            expected = row.cells[role]
            variants = ("own", "other") if row.kind else ("own",)
            if not isinstance(expected, tuple):
                expected = (expected,) * len(variants)
            assert len(expected) == len(variants), f"{name}/{role}: {expected} for {variants}"
            for variant, want in zip(variants, expected):
                if row.kind:
                    value, label = _object_for(world, row.kind, role, variant)
                else:
                    value, label = None, "-"
                url = reverse(name, kwargs=_kwargs_for(converters, value, row.extra))
                if query:
                    url += "?" + query
                response = client.get(url)
                checked += 1
                assert response.status_code != 500, f"{name} as {role} on {label}: server error"
                got = _outcome(response)
                if got != want:
                    mismatches.append(f"  {role:<13} {variant:<5} {label:<36} GET {url}: expected {want}, got {got}")
    assert checked
    tally_figures("permission_matrix", add={"get_cases_checked": checked, "get_mismatches": len(mismatches)},
                  distinct={"url_patterns_checked": name}, fixed={"url_patterns": len(ALL_URLS), "roles": len(ROLES)})
    assert not mismatches, f"{name}: permission matrix mismatches\n" + "\n".join(mismatches)


def test_forbidden_and_not_found_pages_are_the_translated_error_pages(world):
    """403 and 404 answers render the project's error templates, not a bare response."""
    clerk = _client_for(world, "clerk")
    forbidden = clerk.get(reverse("applications:cabinet"))
    assert forbidden.status_code == 403
    assert "errors/403.html" in [t.name for t in forbidden.templates]
    missing = clerk.get(reverse("applications:staff_case", args=[world.cases["other_citizen_case"].number]))
    assert missing.status_code == 404
    assert "errors/404.html" in [t.name for t in missing.templates]
    assert world.cases["other_citizen_case"].applicant.full_name not in missing.content.decode()


DENIED = {403, 404, LOGIN}


@pytest.mark.parametrize(("name", "route", "converters"), ALL_URLS, ids=[u[0] for u in ALL_URLS])
def test_post_is_denied_where_get_is_and_never_a_server_error(world, name, route, converters):
    """An empty POST (as a tampered or replayed form would send) is refused exactly like GET, and never a 500."""
    assert name in EXPECTED, f"{name} ({route}) has no row in the permission matrix; add one to EXPECTED"
    mismatches, posted = [], 0
    for row in EXPECTED[name]:
        query = row.query() if callable(row.query) else row.query
        for role in ROLES:
            client = _client_for(world, role)
            expected = (row.post or row.cells)[role]
            variants = ("own", "other") if row.kind else ("own",)
            if not isinstance(expected, tuple):
                expected = (expected,) * len(variants)
            for variant, want in zip(variants, expected):
                value, label = _object_for(world, row.kind, role, variant) if row.kind else (None, "-")
                url = reverse(name, kwargs=_kwargs_for(converters, value, row.extra)) + (f"?{query}" if query else "")
                response = client.post(url, {})
                posted += 1
                assert response.status_code != 500, f"POST {name} as {role} on {label}: server error"
                got = _outcome(response)
                if (row.post or want in DENIED) and got != want:
                    mismatches.append(f"  {role:<13} {variant:<5} {label:<36} POST {url}: expected {want}, got {got}")
    tally_figures("permission_matrix", add={"post_cases_checked": posted, "post_mismatches": len(mismatches)})
    assert not mismatches, f"{name}: POST is not refused like GET\n" + "\n".join(mismatches)
