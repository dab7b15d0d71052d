"""Building the eligibility engine's case (the CONTRACT format) from a live application and the state systems.

The engine never reads the database; this is the one place that gathers its input, and the result is
stored whole with each check so a decision can be re-run by anyone (`check_eligibility`).
"""

from django.utils import timezone

from eligibility.adapters import get_individuals_registry
from eligibility.adapters.registries import (
    get_property_registry,
    get_social_protection,
    get_state_housing_registry,
    get_unified_register,
)

from ..models import Application, CaseState, ConsentKind

# family relations of the application form -> the case format's wording for ownership facts
RELATIONS = {"spouse": "spouse", "child": "child", "parent": "parent", "sibling": "sibling", "other": "other"}


def _iso(value):
    return value.isoformat() if value else None


def build_case(application: Application, *, as_of=None, data_reliable: bool = True) -> dict:
    as_of = as_of or timezone.localdate()
    person = application.applicant
    record = get_individuals_registry().find_person(person.iin)
    family = list(application.family_members.all())
    household = [person.iin, *[m.iin for m in family]]
    declared = [application.category.code] if application.category_id else []
    consents = {c.kind for c in application.consents.all()}
    representative = application.representative
    registrations = [
        {"iin": r.iin, "settlement": r.settlement, "active": r.active}
        for r in get_unified_register().registrations(household)
    ]
    # this installation is part of the register too: the household's registrations with other providers
    # (registered means a signed notification; a pending application elsewhere is not a registration)
    registrations += [
        {"iin": iin, "settlement": settlement, "active": True}
        for iin, settlement in Application.objects.filter(applicant__iin__in=household, state=CaseState.QUEUED)
        .exclude(pk=application.pk)
        .values_list("applicant__iin", "settlement__code")
    ]
    return {
        "as_of": as_of.isoformat(),
        "profile": application.regulation_profile,
        "settlement": {"code": application.settlement.code, "kind": application.settlement.kind},
        "fund": application.fund,
        "applicant": {
            "iin": person.iin,
            "birth_date": person.birth_date.isoformat(),
            "status": record.status if record else "citizen",
            "registered_here_since": _iso(record.registered_since if record else person.registered_here_since),
            "lost_parents_before_18": bool(record and record.lost_parents_before_18),
            "legal_representative": bool(representative and representative.is_legal_representative),
        },
        "family": [
            {"iin": m.iin, "relation": RELATIONS.get(m.relation, "other"), "birth_date": m.birth_date.isoformat(), "disabled": m.disabled}
            for m in family
        ],
        # declared categories count; the social-protection answer is shown to the executor beside them
        "categories": sorted(set(declared)),
        "properties": [
            {"owner_iin": p.owner_iin, "settlement": p.settlement, "from": _iso(p.held_from), "to": _iso(p.held_to),
             "acquired": p.acquired, "disposed": p.disposed, "habitable": p.habitable, "emergency": p.emergency}
            for p in get_property_registry().history(household)
        ],
        "state_housing": [
            {"holder_iin": h.holder_iin, "settlement": h.settlement, "from": _iso(h.held_from), "to": _iso(h.held_to),
             "privatised": h.privatised}
            for h in get_state_housing_registry().holdings(household)
        ],
        "existing_registrations": registrations,
        "moved_in": [
            {"iin": m.iin, "relation": m.relation, "date": m.date.isoformat()} for m in (record.moved_in if record else ())
        ],
        "consent_personal_data": ConsentKind.PERSONAL_DATA in consents,
        "data_reliable": data_reliable,
    }


def category_confirmation(application: Application) -> dict:
    """What the social-protection body confirms of the declared category (shown, not decisive: seed 004 p.10)."""
    if not application.category_id:
        return {"declared": None, "confirmed": None}
    confirmed = get_social_protection().confirmed_categories(application.applicant.iin)
    return {"declared": application.category.code, "confirmed": application.category.code in confirmed}
