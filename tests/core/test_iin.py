from datetime import date

import pytest
from django.core.management import call_command

from eligibility.iin import InvalidIIN, is_valid_iin, make_iin, parse_iin


@pytest.mark.parametrize(
    "iin, birth, sex",
    [("061211600012", date(2006, 12, 11), "F"), ("791028302728", date(1979, 10, 28), "M"), ("951224400508", date(1995, 12, 24), "F")],
)
def test_valid_examples_from_the_domain(iin, birth, sex):
    parsed = parse_iin(iin)
    assert (parsed.birth_date, parsed.sex) == (birth, sex)


@pytest.mark.parametrize(
    "iin, code",
    [
        ("850615301237", "check_digit"),
        ("951224400510", "check_digit_unissuable"),
        ("851315301238", "date"),
        ("85061530123", "format"),
        ("8506153012345", "format"),
        ("85061530123a", "format"),
        ("850615701236", "century"),
        ("８５０６１５３０１２３６", "format"),  # full-width digits are not ASCII digits
    ],
)
def test_invalid_iins_name_their_reason(iin, code):
    with pytest.raises(InvalidIIN) as exc:
        parse_iin(iin)
    assert exc.value.code == code


def test_second_weighting_is_used_when_first_gives_ten():
    # 951224400508: first weighting sums to remainder 10, the second gives 8
    digits = [int(c) for c in "95122440050"]
    assert sum(d * w for d, w in zip(digits, range(1, 12))) % 11 == 10
    assert is_valid_iin("951224400508")


def test_make_iin_builds_valid_numbers_for_every_century_and_sex():
    for birth in (date(1899, 1, 1), date(1955, 6, 30), date(2004, 2, 29)):
        for sex in "MF":
            value = make_iin(birth, sex, 1234)
            parsed = parse_iin(value)
            assert (parsed.birth_date, parsed.sex) == (birth, sex)


def test_validate_iin_command_prints_and_exits(capsys):
    call_command("validate_iin", "061211600012", "791028302728")
    out = capsys.readouterr().out.splitlines()
    assert out == ["061211600012 valid birth=2006-12-11 sex=F", "791028302728 valid birth=1979-10-28 sex=M"]
    with pytest.raises(SystemExit) as exc:
        call_command("validate_iin", "061211600012", "850615301237")
    assert exc.value.code == 1
    assert "850615301237 invalid: check digit" in capsys.readouterr().out
