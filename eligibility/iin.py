"""The individual identification number (ЖСН / ИИН), DOMAIN.md §8.

12 digits: YYMMDD, a century-and-sex digit, a 4-digit serial, a check digit.
"""

from dataclasses import dataclass
from datetime import date

_WEIGHTS_FIRST = tuple(range(1, 12))
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_CENTURY_SEX = {"1": (1800, "M"), "2": (1800, "F"), "3": (1900, "M"), "4": (1900, "F"), "5": (2000, "M"), "6": (2000, "F")}


class InvalidIIN(ValueError):
    """Carries a stable `code` so callers can translate the reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class IIN:
    value: str
    birth_date: date
    sex: str  # "M" or "F"


def check_digit(first_eleven: str) -> int | None:
    """None when both weightings give 10: such a number is never issued (no substitution with 0)."""
    digits = [int(c) for c in first_eleven]
    for weights in (_WEIGHTS_FIRST, _WEIGHTS_SECOND):
        remainder = sum(d * w for d, w in zip(digits, weights)) % 11
        if remainder != 10:
            return remainder
    return None


def parse_iin(value: str) -> IIN:
    value = (value or "").strip()
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        raise InvalidIIN("format", "must be exactly 12 digits")
    if value[6] not in _CENTURY_SEX:
        raise InvalidIIN("century", f"7th digit {value[6]} is not a century-and-sex digit (1-6)")
    century, sex = _CENTURY_SEX[value[6]]
    try:
        birth = date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise InvalidIIN("date", f"{value[0:6]} is not a real date of birth") from None
    expected = check_digit(value[:11])
    if expected is None:
        raise InvalidIIN("check_digit_unissuable", "check digit cannot be computed (10 under both weightings)")
    if expected != int(value[11]):
        raise InvalidIIN("check_digit", f"check digit is {value[11]}, expected {expected}")
    return IIN(value=value, birth_date=birth, sex=sex)


def is_valid_iin(value: str) -> bool:
    try:
        parse_iin(value)
    except InvalidIIN:
        return False
    return True


def make_iin(birth: date, sex: str, serial: int) -> str:
    """Build a valid IIN (for simulators, factories and benchmarks); skips unissuable serials."""
    century_digit = {(1800, "M"): 1, (1800, "F"): 2, (1900, "M"): 3, (1900, "F"): 4, (2000, "M"): 5, (2000, "F"): 6}[
        (birth.year // 100 * 100, sex)
    ]
    for offset in range(100):
        head = f"{birth:%y%m%d}{century_digit}{(serial + offset) % 10000:04d}"
        digit = check_digit(head)
        if digit is not None:
            return head + str(digit)
    raise ValueError("no issuable serial found")
