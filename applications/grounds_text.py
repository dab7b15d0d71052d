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


def finding_text(finding: dict) -> str:
    """A stored finding ({"message_key", "facts", "text"}) in the active language."""
    template = MESSAGE_TEMPLATES.get(finding.get("message_key", ""))
    if template is None:
        return finding.get("text", "")
    facts = dict(finding.get("facts") or {})
    if isinstance(facts.get("person"), str):
        facts["person"] = str(PERSON_LABELS.get(facts["person"], facts["person"]))
    return render(str(template), facts)
