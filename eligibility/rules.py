"""The eligibility rules: pure functions from a parsed `Case` to findings, and the decision.

Each rule looks at one refusal ground (DOMAIN.md §6) and returns every `Finding` it sees, each
with the facts that triggered it, so a decision lists all grounds, not only the first, and an
executor or a court can see why. Rules read what differs between regimes from the
`EligibilityProfile` data. No Django and no database here: the web layer stores the case and
translates `MESSAGES[finding.message_key]` rendered with `finding.facts`.

Household: the applicant plus the `family` of the case (the spouse and family members living
with the applicant). Their dwellings, state housing and queue registrations count as the
applicant's own.

Calendar arithmetic, used for every boundary:
- "N years before D" is D's calendar date N years earlier; 29 February becomes 28 February in a
  non-leap year (`anniversary`). The same rule gives birthdays: a person born on 29 February
  turns a year older on 28 February in non-leap years.
- "within the last N years" is the closed window [N years before as_of, as_of]: an event exactly
  N years before as_of still counts.
- a span of N years is complete on its anniversary: registered exactly 3 years before as_of
  satisfies the 3-year residence rule; a person is 18 on the 18th birthday (adult) and no
  longer under 29 on the 29th birthday.
- facts dated after as_of are ignored (the decision is as of that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from typing import Any, Callable, Iterable

from eligibility.case import Case, Property
from eligibility.categories import queue_group
from eligibility.grounds import GROUND_CODES, Ground
from eligibility.profiles import PROFILES, EligibilityProfile

# English templates keyed by `Finding.message_key` (one ground can arise from different facts,
# each explained differently); placeholders are keys of the finding's facts.
MESSAGES = {
    "already_registered": (
        "The {person} (IIN {iin}) is already registered in the housing queue "
        "(settlement: {settlement})."
    ),
    "owned_now_kz": (
        "The {person} (IIN {iin}) owns a dwelling in {settlement} on {as_of} (held {period}); "
        "applicants for the {fund} fund must own no dwelling in Kazakhstan."
    ),
    "owned_now_settlement": (
        "The {person} (IIN {iin}) owns a dwelling in this settlement ({settlement}) on {as_of} (held {period}); "
        "applicants for the {fund} fund must own no dwelling in this settlement."
    ),
    "owned_within_window": (
        "The {person} (IIN {iin}) owned a dwelling in {settlement} (held {period}) "
        "within the {years} years before {as_of} (since {window_start})."
    ),
    "emergency_other_settlement": (
        "The {person} (IIN {iin}) owns a dwelling in emergency condition in {settlement}, not in {this_settlement}; "
        "only an only dwelling in emergency condition in this settlement is disregarded."
    ),
    "state_housing_held": (
        "The {person} (IIN {iin}) holds a dwelling from the state housing fund in {settlement} on {as_of} "
        "(held {period})."
    ),
    "state_housing_privatised": (
        "The {person} (IIN {iin}) received a dwelling from the state housing fund in {settlement} and "
        "privatised it."
    ),
    "property_privatised": (
        "The {person} (IIN {iin}) acquired a dwelling in {settlement} by privatisation (held "
        "{period})."
    ),
    "state_mortgage": (
        "The {person} (IIN {iin}) bought a dwelling in {settlement} with a state-programme mortgage (held "
        "{period})."
    ),
    "unreliable_data": "The documents or data submitted were found unreliable.",
    "worsening_disposal": (
        "The {person} (IIN {iin}) disposed of a habitable dwelling in {settlement} by {disposed} on {date}, "
        "within the {years} years before {as_of}."
    ),
    "worsening_destroyed": (
        "The {person} (IIN {iin}) destroyed or damaged a dwelling in {settlement} by own fault on {date}, "
        "within the {years} years before {as_of}."
    ),
    "worsening_moved_in": (
        "A person (IIN {iin}, relation: {relation}) was moved in on {date}, within the {years} years before {as_of}; "
        "only a spouse, minor or disabled children and disabled parents may be moved in."
    ),
    "no_category": "No category entitled to housing was declared; the {profile} rules require one.",
    "status_not_entitled": (
        "Applicant status '{status}' is not entitled: only citizens of Kazakhstan and kandas may be "
        "registered."
    ),
    "residence_missing": (
        "No residence registration in {settlement} ({kind}) is recorded; "
        "{years} years of registration there are required."
    ),
    "residence_short": (
        "Residence registration in {settlement} ({kind}) since {registered_since} is shorter than the {years} years "
        "required on {as_of} (registration since {required_since} or earlier)."
    ),
    "no_consent": "Consent to access protected personal data was not given.",
    "not_adult": "The applicant is {age} years old on {as_of} (under {adult_age}) and no legal representative applies.",
    "eligible": "Eligible: no refusal ground applies under the {profile} rules; queue list {queue_list}.",
}

WORSENING_DISPOSALS = frozenset({"sale", "gift", "exchange"})  # of a habitable dwelling; not sale_to_akimat
DESTROYED_BY_FAULT = "destroyed_by_fault"  # worsening whether or not the dwelling was habitable
PERMITTED_MOVE_INS = frozenset({"spouse", "minor_child", "disabled_child", "disabled_parent"})
ORPHAN = "ORPHAN"


@dataclass(frozen=True)
class Finding:
    """One reason to refuse: the ground, the facts that triggered it (JSON-ready, dates as ISO
    strings), and the English sentence `MESSAGES[message_key]` rendered with those facts."""

    code: Ground
    facts: dict[str, Any]
    explanation: str
    message_key: str


@dataclass(frozen=True)
class Decision:
    """Eligible exactly when there is no finding; `grounds` are the findings' codes, each once,
    in DOMAIN.md §6 order; `queue_list` is the group code for an eligible case, else None."""

    eligible: bool
    grounds: tuple[Ground, ...]
    findings: tuple[Finding, ...]
    queue_list: str | None
    explanation: tuple[str, ...]
    profile: str

    def as_dict(self, with_findings: bool = False) -> dict[str, Any]:
        """The CONTRACT.md `check_eligibility` output; findings with facts on request."""
        result = {
            "eligible": self.eligible,
            "grounds": [str(code) for code in self.grounds],
            "queue_list": self.queue_list,
            "explanation": list(self.explanation),
        }
        if with_findings:
            result["findings"] = [
                {"code": str(f.code), "message_key": f.message_key, "facts": f.facts, "explanation": f.explanation}
                for f in self.findings
            ]
        return result


# --- calendar --------------------------------------------------------------------------------------


def anniversary(day: date, years: int) -> date:
    """`day` moved by whole years (negative: back); 29 February lands on 28 February in non-leap years."""
    year = day.year + years
    if year < MINYEAR:
        return date.min
    if year > MAXYEAR:
        return date.max
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def years_before(day: date, years: int) -> date:
    return anniversary(day, -years)


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on `day`; the birthday itself already counts."""
    years = day.year - birth_date.year
    return years if anniversary(birth_date, years) <= day else years - 1


# --- helpers ----------------------------------------------------------------------------------------


class _Display(dict):
    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return "unspecified" if value is None else value


def render(template: str, facts: dict[str, Any]) -> str:
    """Fill a (possibly translated) template from facts; a null fact reads "unspecified"."""
    return template.format_map(_Display(facts))


def _finding(code: Ground, message_key: str, **facts: Any) -> Finding:
    facts = {key: value.isoformat() if isinstance(value, date) else value for key, value in facts.items()}
    return Finding(code=code, facts=facts, explanation=render(MESSAGES[message_key], facts), message_key=message_key)


def _period(start: date | None, end: date | None) -> str:
    """ISO 8601 interval, ".." for an open end: language-neutral inside translated sentences."""
    return f"{start.isoformat() if start else '..'}/{end.isoformat() if end else '..'}"


def _household_dwellings(case: Case) -> Iterable[tuple[str, Property]]:
    household = case.household()
    for dwelling in case.properties:
        if dwelling.owner_iin in household:
            yield household[dwelling.owner_iin], dwelling


def _dwelling_facts(case: Case, person: str, dwelling: Property) -> dict[str, Any]:
    return {
        "person": person,
        "iin": dwelling.owner_iin,
        "settlement": dwelling.settlement,
        "from": dwelling.start,
        "to": dwelling.end,
        "period": _period(dwelling.start, dwelling.end),
        "acquired": dwelling.acquired,
        "emergency": dwelling.emergency,
        "as_of": case.as_of,
    }


def _ownership_findings(
    case: Case,
    profile: EligibilityProfile,
    dwellings: list[tuple[str, Property]],
    code: Ground,
    message_key: str,
    **extra: Any,
) -> list[Finding]:
    """One finding per dwelling that counts as owned housing.

    Where the profile says so, the household's only dwelling, if declared in emergency condition
    and lying in this settlement, does not count. A dwelling in emergency condition in another
    settlement always gives EMERGENCY_OTHER_SETTLEMENT instead of the ownership ground, whether or
    not it is the only one: the ground names the fact, and adding a dwelling never removes it.
    """
    only = dwellings[0][1] if len(dwellings) == 1 else None
    findings = []
    for person, dwelling in dwellings:
        facts = _dwelling_facts(case, person, dwelling)
        if profile.emergency_only_dwelling_exempt and dwelling.emergency:
            if not case.in_this_settlement(dwelling.settlement):
                this_settlement = case.settlement.code if case.settlement else None
                findings.append(
                    _finding(
                        Ground.EMERGENCY_OTHER_SETTLEMENT,
                        "emergency_other_settlement",
                        **facts,
                        this_settlement=this_settlement,
                    )
                )
                continue
            if dwelling is only:
                continue
        findings.append(_finding(code, message_key, **facts, **extra))
    return findings


# --- rules: (case, profile) -> [Finding] ------------------------------------------------------------


def already_registered(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """An active registration of anyone in the household: the family queues as one unit."""
    household = case.household()
    return [
        _finding(
            Ground.ALREADY_REGISTERED,
            "already_registered",
            person=household[registration.iin],
            iin=registration.iin,
            settlement=registration.settlement,
        )
        for registration in case.existing_registrations
        if registration.active and registration.iin in household
    ]


def owned_housing_now(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """Older regulations (Law art. 69): a dwelling held on as_of, anywhere in Kazakhstan or, for the
    state-institution fund, in this settlement. A case without a fund is judged for the default fund."""
    fund = case.fund or profile.default_fund
    code = profile.owned_now_grounds.get(fund)
    if code is None:
        return []
    settlement_only = fund in profile.settlement_only_funds
    dwellings = [
        (person, dwelling)
        for person, dwelling in _household_dwellings(case)
        if dwelling.held_on(case.as_of) and (not settlement_only or case.in_this_settlement(dwelling.settlement))
    ]
    message_key = "owned_now_settlement" if settlement_only else "owned_now_kz"
    return _ownership_findings(case, profile, dwellings, code, message_key, fund=fund)


def owned_housing_within_window(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """2025 rules (seed 004 p.15.2): a dwelling held at any time within the last N years, i.e. a
    holding period [from, to) overlapping [as_of - N years, as_of]."""
    years = profile.ownership_window_years
    if years is None:
        return []
    window_start = years_before(case.as_of, years)
    dwellings = [
        (person, dwelling)
        for person, dwelling in _household_dwellings(case)
        if dwelling.held_during(window_start, case.as_of)
    ]
    return _ownership_findings(
        case, profile, dwellings, Ground.OWNED_HOUSING_5Y, "owned_within_window", years=years, window_start=window_start
    )


def state_housing_held(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """State housing (or housing rented by the akimat) held on as_of and not privatised."""
    household = case.household()
    return [
        _finding(
            profile.state_support_grounds["held"],
            "state_housing_held",
            person=household[housing.holder_iin],
            iin=housing.holder_iin,
            settlement=housing.settlement,
            period=_period(housing.start, housing.end),
            as_of=case.as_of,
        )
        for housing in case.state_housing
        if housing.holder_iin in household and not housing.privatised and housing.held_on(case.as_of)
    ]


def privatised_state_housing(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """State housing received and privatised at any time before as_of, recorded either as state
    housing marked privatised or as a dwelling acquired by privatisation."""
    household = case.household()
    code = profile.state_support_grounds["privatised"]
    findings = [
        _finding(
            code,
            "state_housing_privatised",
            person=household[housing.holder_iin],
            iin=housing.holder_iin,
            settlement=housing.settlement,
            period=_period(housing.start, housing.end),
        )
        for housing in case.state_housing
        if housing.holder_iin in household and housing.privatised and housing.begun_by(case.as_of)
    ]
    findings += [
        _finding(code, "property_privatised", **_dwelling_facts(case, person, dwelling))
        for person, dwelling in _household_dwellings(case)
        if dwelling.acquired == "privatisation" and dwelling.begun_by(case.as_of)
    ]
    return findings


def state_mortgage(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """A dwelling bought with a state-programme mortgage at any time before as_of."""
    return [
        _finding(
            profile.state_support_grounds["state_mortgage"], "state_mortgage", **_dwelling_facts(case, person, dwelling)
        )
        for person, dwelling in _household_dwellings(case)
        if dwelling.acquired == "state_mortgage" and dwelling.begun_by(case.as_of)
    ]


def unreliable_data(case: Case, profile: EligibilityProfile) -> list[Finding]:
    return [] if case.data_reliable else [_finding(Ground.UNRELIABLE_DATA, "unreliable_data")]


def deliberate_worsening(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """Law art. 72 within the last N years (window inclusive at both ends): a household dwelling
    exchanged, given away or sold (a sale to the akimat excepted) while habitable, or destroyed by
    own fault (habitable or not) -- the disposal date is the holding's `to`; or a person other than
    a spouse, minor or disabled child or disabled parent moved in."""
    years = profile.worsening_window_years
    window_start = years_before(case.as_of, years)

    def within(day: date) -> bool:
        return window_start <= day <= case.as_of

    findings = []
    for person, dwelling in _household_dwellings(case):
        if dwelling.end is None or not within(dwelling.end):
            continue
        if dwelling.disposed == DESTROYED_BY_FAULT:
            message_key = "worsening_destroyed"
        elif dwelling.disposed in WORSENING_DISPOSALS and dwelling.habitable:
            message_key = "worsening_disposal"
        else:
            continue
        findings.append(
            _finding(
                Ground.DELIBERATE_WORSENING,
                message_key,
                person=person,
                iin=dwelling.owner_iin,
                settlement=dwelling.settlement,
                disposed=dwelling.disposed,
                date=dwelling.end,
                years=years,
                as_of=case.as_of,
            )
        )
    findings += [
        _finding(
            Ground.DELIBERATE_WORSENING,
            "worsening_moved_in",
            iin=move.iin,
            relation=move.relation,
            date=move.date,
            years=years,
            as_of=case.as_of,
        )
        for move in case.moved_in
        if move.relation not in PERMITTED_MOVE_INS and within(move.date)
    ]
    return findings


def not_eligible_category(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """No entitled category where the profile requires one; a status other than citizen or kandas
    (an absent status is not a ground: it comes from the state register, not the applicant)."""
    findings = []
    status = case.applicant.status
    if status is not None and status not in profile.entitled_statuses:
        findings.append(_finding(Ground.NOT_ELIGIBLE_CATEGORY, "status_not_entitled", status=status))
    if profile.category_required and not case.categories:
        findings.append(_finding(Ground.NOT_ELIGIBLE_CATEGORY, "no_category", profile=profile.code))
    return findings


def residence_less_3y(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """Residence registration for N years in the capital or a city of republican significance.

    Exempt: an orphan (ORPHAN category, or lost_parents_before_18) under the age limit on as_of.
    Not applicable when the case names no settlement. Registered exactly N years before as_of is
    enough."""
    settlement = case.settlement
    if settlement is None or settlement.kind not in profile.residence_settlement_kinds:
        return []
    applicant = case.applicant
    is_orphan = ORPHAN in case.categories or applicant.lost_parents_before_18
    if is_orphan and age_on(applicant.birth_date, case.as_of) < profile.orphan_exempt_below_age:
        return []
    required_since = years_before(case.as_of, profile.residence_years)
    since = applicant.registered_here_since
    facts = dict(settlement=settlement.code, kind=settlement.kind, years=profile.residence_years, as_of=case.as_of)
    if since is None:
        return [_finding(Ground.RESIDENCE_LESS_3Y, "residence_missing", **facts)]
    if since > required_since:
        return [
            _finding(
                Ground.RESIDENCE_LESS_3Y,
                "residence_short",
                **facts,
                registered_since=since,
                required_since=required_since,
            )
        ]
    return []


def no_consent(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """Consent is never presumed: absent counts as refused."""
    return [] if case.consent_personal_data else [_finding(Ground.NO_CONSENT, "no_consent")]


def not_adult(case: Case, profile: EligibilityProfile) -> list[Finding]:
    """Under age on as_of (adult from the birthday itself) and no legal representative applies."""
    age = age_on(case.applicant.birth_date, case.as_of)
    if age >= profile.adult_age or case.applicant.legal_representative:
        return []
    return [
        _finding(
            Ground.NOT_ADULT,
            "not_adult",
            age=age,
            birth_date=case.applicant.birth_date,
            adult_age=profile.adult_age,
            as_of=case.as_of,
        )
    ]


RULES: tuple[Callable[[Case, EligibilityProfile], list[Finding]], ...] = (
    already_registered,
    owned_housing_within_window,
    owned_housing_now,
    state_housing_held,
    unreliable_data,
    privatised_state_housing,
    state_mortgage,
    deliberate_worsening,
    not_eligible_category,
    residence_less_3y,
    no_consent,
    not_adult,
)

_GROUND_ORDER = {code: index for index, code in enumerate(GROUND_CODES)}


def evaluate(case: Case, profile: EligibilityProfile | None = None) -> Decision:
    """Run every rule; eligible only when no finding at all. `profile` defaults to the case's own."""
    profile = profile or PROFILES[case.profile]
    findings = sorted(
        (finding for rule in RULES for finding in rule(case, profile)),
        key=lambda finding: _GROUND_ORDER[finding.code],
    )
    grounds = tuple(dict.fromkeys(finding.code for finding in findings))
    if findings:
        return Decision(
            eligible=False,
            grounds=grounds,
            findings=tuple(findings),
            queue_list=None,
            explanation=tuple(finding.explanation for finding in findings),
            profile=profile.code,
        )
    queue_list = queue_group(case.categories)
    return Decision(
        eligible=True,
        grounds=(),
        findings=(),
        queue_list=queue_list,
        explanation=(render(MESSAGES["eligible"], {"profile": profile.code, "queue_list": queue_list}),),
        profile=profile.code,
    )
