"""Category codes (CONTRACT.md) and the queue-list group each belongs to (DOMAIN.md §5, §7).

Plain data, free of Django: the models build their choices from it and the rules engine picks
an eligible applicant's queue list from it, so both always agree.
"""

SOCIALLY_VULNERABLE = "SOCIALLY_VULNERABLE"
CIVIL_SERVANTS = "CIVIL_SERVANTS"
ORPHANS = "ORPHANS"
EMERGENCY = "EMERGENCY"
GENERAL = "GENERAL"

GROUP_CODES = (SOCIALLY_VULNERABLE, CIVIL_SERVANTS, ORPHANS, EMERGENCY, GENERAL)

# Which list an applicant with several categories joins: orphans have the first-priority right
# (DOMAIN.md §5 (6), §7), then emergency dwellings, then the socially vulnerable, then state
# employees; GENERAL is for national-2025 applicants who declared no category.
GROUP_PRIORITY = (ORPHANS, EMERGENCY, SOCIALLY_VULNERABLE, CIVIL_SERVANTS, GENERAL)

# category code -> group code, in the order of the Law's list
CATEGORY_GROUPS = {
    "WWII_VETERAN": SOCIALLY_VULNERABLE,
    "WWII_EQUIVALENT": SOCIALLY_VULNERABLE,
    "DISABLED_1_2": SOCIALLY_VULNERABLE,
    "FAMILY_DISABLED_CHILD": SOCIALLY_VULNERABLE,
    "SEVERE_CHRONIC_ILLNESS": SOCIALLY_VULNERABLE,
    "PENSIONER": SOCIALLY_VULNERABLE,
    "ORPHAN": ORPHANS,
    "KANDAS": SOCIALLY_VULNERABLE,
    "EMERGENCY_VICTIM": SOCIALLY_VULNERABLE,
    "LARGE_FAMILY": SOCIALLY_VULNERABLE,
    "FAMILY_OF_FALLEN": SOCIALLY_VULNERABLE,
    "SINGLE_PARENT": SOCIALLY_VULNERABLE,
    "LOW_INCOME": SOCIALLY_VULNERABLE,
    "CIVIL_SERVANT": CIVIL_SERVANTS,
    "BUDGET_EMPLOYEE": CIVIL_SERVANTS,
    "MILITARY": CIVIL_SERVANTS,
    "ELECTED_OFFICIAL": CIVIL_SERVANTS,
    "EMERGENCY_DWELLING": EMERGENCY,
}
CATEGORY_CODES = tuple(CATEGORY_GROUPS)


def queue_group(categories) -> str:
    """The group of the highest-priority declared category; GENERAL when none is declared."""
    groups = {CATEGORY_GROUPS[code] for code in categories}
    return next((group for group in GROUP_PRIORITY if group in groups), GENERAL)
