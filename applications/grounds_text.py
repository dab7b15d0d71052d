"""Translated texts for refusal grounds and engine findings, rendered in the reader's language.

The message templates repeat eligibility.rules.MESSAGES literally so makemessages can collect them;
tests/applications/test_grounds_text.py fails if the two drift apart.
"""

from django.utils.translation import gettext_lazy as _

from eligibility.rules import render

GROUND_TITLES = {
    "ALREADY_REGISTERED": _("Already registered in the unified republican base or on this register"),
    "OWNED_HOUSING_5Y": _("Owned a dwelling in Kazakhstan within the last 5 years"),
    "OWNED_HOUSING_SETTLEMENT": _("Owns a dwelling in this settlement"),
    "OWNED_HOUSING_KZ": _("Owns a dwelling in Kazakhstan"),
    "HAS_STATE_HOUSING": _("Has a dwelling from the state housing fund or rented by the akimat"),
    "UNRELIABLE_DATA": _("The documents or data are unreliable"),
    "PRIVATISED_STATE_HOUSING": _("Previously received and privatised state housing"),
    "EMERGENCY_OTHER_SETTLEMENT": _("The only emergency dwelling lies in another settlement"),
    "STATE_MORTGAGE": _("Bought a dwelling with a state-programme mortgage"),
    "DELIBERATE_WORSENING": _("Deliberately worsened housing conditions within the last 5 years"),
    "NOT_ELIGIBLE_CATEGORY": _("Belongs to no category entitled to this fund"),
    "RESIDENCE_LESS_3Y": _("Less than 3 years of residence registration in this city"),
    "NO_CONSENT": _("No consent to access protected personal data"),
    "NOT_ADULT": _("The applicant is not of age and no legal representative applies"),
    "INCOMPLETE_PACKAGE": _("The document package is incomplete"),
}

MESSAGE_TEMPLATES = {
    "already_registered": _("The {person} (IIN {iin}) is already registered in the housing queue (settlement: {settlement})."),
    "owned_now_kz": _("The {person} (IIN {iin}) owns a dwelling in {settlement} on {as_of} (held {period}); applicants for the {fund} fund must own no dwelling in Kazakhstan."),
    "owned_now_settlement": _("The {person} (IIN {iin}) owns a dwelling in this settlement ({settlement}) on {as_of} (held {period}); applicants for the {fund} fund must own no dwelling in this settlement."),
    "owned_within_window": _("The {person} (IIN {iin}) owned a dwelling in {settlement} (held {period}) within the {years} years before {as_of} (since {window_start})."),
    "emergency_other_settlement": _("The {person} (IIN {iin}) owns a dwelling in emergency condition in {settlement}, not in {this_settlement}; only an only dwelling in emergency condition in this settlement is disregarded."),
    "state_housing_held": _("The {person} (IIN {iin}) holds a dwelling from the state housing fund in {settlement} on {as_of} (held {period})."),
    "state_housing_privatised": _("The {person} (IIN {iin}) received a dwelling from the state housing fund in {settlement} and privatised it."),
    "property_privatised": _("The {person} (IIN {iin}) acquired a dwelling in {settlement} by privatisation (held {period})."),
    "state_mortgage": _("The {person} (IIN {iin}) bought a dwelling in {settlement} with a state-programme mortgage (held {period})."),
    "unreliable_data": _("The documents or data submitted were found unreliable."),
    "worsening_disposal": _("The {person} (IIN {iin}) disposed of a habitable dwelling in {settlement} by {disposed} on {date}, within the {years} years before {as_of}."),
    "worsening_destroyed": _("The {person} (IIN {iin}) destroyed or damaged a dwelling in {settlement} by own fault on {date}, within the {years} years before {as_of}."),
    "worsening_moved_in": _("A person (IIN {iin}, relation: {relation}) was moved in on {date}, within the {years} years before {as_of}; only a spouse, minor or disabled children and disabled parents may be moved in."),
    "no_category": _("No category entitled to housing was declared; the {profile} rules require one."),
    "status_not_entitled": _("Applicant status '{status}' is not entitled: only citizens of Kazakhstan and kandas may be registered."),
    "residence_missing": _("No residence registration in {settlement} ({kind}) is recorded; {years} years of registration there are required."),
    "residence_short": _("Residence registration in {settlement} ({kind}) since {registered_since} is shorter than the {years} years required on {as_of} (registration since {required_since} or earlier)."),
    "no_consent": _("Consent to access protected personal data was not given."),
    "not_adult": _("The applicant is {age} years old on {as_of} (under {adult_age}) and no legal representative applies."),
    "eligible": _("Eligible: no refusal ground applies under the {profile} rules; queue list {queue_list}."),
}

PERSON_LABELS = {
    "applicant": _("applicant"),
    "spouse": _("spouse"),
    "child": _("child"),
    "minor_child": _("minor child"),
    "parent": _("parent"),
    "family member": _("family member"),
}


def ground_title(code: str) -> str:
    return str(GROUND_TITLES.get(code, code))


# settlements outside this installation that the state registries may name
OTHER_SETTLEMENTS = {
    "astana": _("Astana"),
    "almaty": _("Almaty"),
    "shymkent": _("Shymkent"),
    "taraz": _("Taraz"),
    "aktobe": _("Aktobe"),
    "karaganda": _("Karaganda"),
}
DATE_FACTS = ("as_of", "date", "registered_since", "required_since", "window_start")

DISPOSALS = {
    "sale": _("sale"),
    "sale_to_akimat": _("sale to the akimat"),
    "gift": _("gift"),
    "exchange": _("exchange"),
    "destroyed_by_fault": _("destruction by own fault"),
    "demolished": _("demolition"),
    "other": _("other disposal"),
}
STATUSES = {"citizen": _("citizen of Kazakhstan"), "kandas": _("kandas"), "foreigner": _("foreign citizen or stateless person")}
MOVE_IN_RELATIONS = {
    "spouse": _("spouse"),
    "minor_child": _("minor child"),
    "disabled_child": _("disabled child"),
    "disabled_parent": _("disabled parent"),
    "brother": _("brother"),
    "sister": _("sister"),
    "parent": _("parent"),
    "child": _("child"),
}


def _labelled(facts: dict) -> None:
    """Replace codes inside facts with the reader's words (settlement kinds and funds from the models)."""
    from accounts.models import SettlementKind
    from queues.models import Fund

    tables = {
        "disposed": DISPOSALS,
        "status": STATUSES,
        "relation": MOVE_IN_RELATIONS,
        "kind": dict(SettlementKind.choices),
        "fund": dict(Fund.choices),
    }
    for key, table in tables.items():
        if isinstance(facts.get(key), str) and facts[key] in table:
            facts[key] = str(table[facts[key]])


def _date(value: str) -> str:
    from datetime import date

    from django.utils import formats

    try:
        return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except (TypeError, ValueError):
        return value


def _period(value: str) -> str:
    """ISO interval "2018-06-01/.." as people read it."""
    start, _sep, end = value.partition("/")
    if end in ("", ".."):
        return str(_("since %(date)s")) % {"date": _date(start)}
    return f"{_date(start)} – {_date(end)}"


def _settlement_name(code: str) -> str:
    from accounts.models import Settlement

    settlement = Settlement.objects.filter(code=code).first()
    if settlement is not None:
        return settlement.name
    return str(OTHER_SETTLEMENTS.get(code, code))


def finding_text(finding: dict) -> str:
    """A stored finding ({"message_key", "facts", "text"}) in the active language, with names and dates."""
    template = MESSAGE_TEMPLATES.get(finding.get("message_key", ""))
    if template is None:
        return finding.get("text", "")
    facts = dict(finding.get("facts") or {})
    if isinstance(facts.get("person"), str):
        facts["person"] = str(PERSON_LABELS.get(facts["person"], facts["person"]))
    for key in ("settlement", "this_settlement"):
        if isinstance(facts.get(key), str):
            facts[key] = _settlement_name(facts[key])
    for key in DATE_FACTS:
        if isinstance(facts.get(key), str):
            facts[key] = _date(facts[key])
    if isinstance(facts.get("period"), str):
        facts["period"] = _period(facts["period"])
    _labelled(facts)
    return render(str(template), facts)
