"""Does a household fit a dwelling? The space norm and the family's needs, as plain functions.

The rules (DOMAIN.md §7; the numbers are the round's configuration, 15–18 m² per person by default):
- family size is the holder plus the family members listed in the case (after the applicant's death the
  continuing family member is one of those members, so the size is the members alone);
- the useful area must be at least the round's minimum norm times the family size; a one-person family fits
  any one-room flat whatever its area ("not less than a one-room flat");
- a household with a person with a disability — the applicant's category DISABLED_1_2 or
  FAMILY_DISABLED_CHILD, or a family member marked disabled — needs step-free access: a dwelling marked
  wheelchair accessible, or on the first floor (or lower), or in a building with a lift. The case does not say
  who uses a wheelchair, so every disability counts; staff can still reject a skip they find wrong.
The upper norm is shown to staff only; a larger dwelling than the norm is never a reason to pass anyone over.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..models import SkipReason

DISABILITY_CATEGORIES = frozenset({"DISABLED_1_2", "FAMILY_DISABLED_CHILD"})


@dataclass(frozen=True)
class Household:
    size: int
    needs_step_free: bool


def household_of(entry, members=None) -> Household:
    """`members`: the case's FamilyMember rows when the caller already fetched them."""
    case = entry.application
    members = list(case.family_members.all()) if members is None else list(members)
    continuing = entry.holder_id != case.applicant_id and any(m.iin == entry.holder.iin for m in members)
    size = max(1, len(members) if continuing else 1 + len(members))
    category = case.category.code if case.category_id else ""
    needs = category in DISABILITY_CATEGORIES or any(m.disabled for m in members)
    return Household(size=size, needs_step_free=needs)


def step_free(dwelling) -> bool:
    return bool(dwelling.wheelchair_accessible or dwelling.has_lift or dwelling.floor <= 1)


def minimum_area(round_, size: int) -> Decimal:
    return (Decimal(round_.norm_min_m2_per_person) * size).quantize(Decimal("0.01"))


def misfit(round_, dwelling, household: Household) -> str | None:
    """None when the household fits; otherwise the skip reason code."""
    one_room_single = household.size == 1 and dwelling.rooms == 1
    if not one_room_single and Decimal(dwelling.useful_area) < minimum_area(round_, household.size):
        return SkipReason.FAMILY_TOO_LARGE
    if household.needs_step_free and not step_free(dwelling):
        return SkipReason.NEEDS_NOT_MET
    return None


def _m2(value) -> str:
    return number_format(Decimal(value), 2)  # in the active language: 60,00 in Kazakh and Russian, 60.00 in English


def misfit_comment(reason: str, round_, dwelling, household: Household) -> str:
    """The factual sentence behind a skip, in the active language (the person's, see rounds._comment)."""
    if reason == SkipReason.FAMILY_TOO_LARGE:
        return _("A family of %(size)d needs at least %(need)s m² of useful area (%(norm)s m² per person); "
                 "the dwelling at %(address)s has %(area)s m².") % {
            "size": household.size, "need": _m2(minimum_area(round_, household.size)),
            "norm": _m2(round_.norm_min_m2_per_person), "address": dwelling.address, "area": _m2(dwelling.useful_area)}
    return _("The family includes a person with a disability and needs step-free access (a wheelchair-accessible "
             "dwelling, the first floor or a lift); the dwelling at %(address)s is on floor %(floor)d without "
             "a lift.") % {"address": dwelling.address, "floor": dwelling.floor}
