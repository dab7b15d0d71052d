"""`manage.py check_eligibility` end to end: JSON per CONTRACT.md, clear errors, never a traceback."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.eligibility.cases import build_case

ROOT = Path(__file__).resolve().parents[2]
REFUSED = build_case("regional-30d", categories=[], consent_personal_data=False)
ELIGIBLE = build_case("national-2025")
OUTPUT_KEYS = ["eligible", "grounds", "queue_list", "explanation"]


def check(*args, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("check_eligibility", *args, stdout=out)
    return json.loads(out.getvalue())


def write(tmp_path, content):
    path = tmp_path / "case.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_single_case_from_a_file_prints_one_object(tmp_path):
    result = check(write(tmp_path, ELIGIBLE))
    assert list(result) == OUTPUT_KEYS
    assert result["eligible"] is True
    assert result["grounds"] == []
    assert result["queue_list"] == "SOCIALLY_VULNERABLE"
    assert result["explanation"][0].startswith("Eligible:")


def test_list_from_stdin_prints_a_list_in_order(monkeypatch):
    result = check("-", stdin=json.dumps([REFUSED, ELIGIBLE]), monkeypatch=monkeypatch)
    assert [(item["eligible"], item["grounds"]) for item in result] == [
        (False, ["NOT_ELIGIBLE_CATEGORY", "NO_CONSENT"]),
        (True, []),
    ]
    assert result[0]["queue_list"] is None
    assert len(result[0]["explanation"]) == 2


def test_single_case_from_stdin(monkeypatch):
    result = check("-", stdin=json.dumps(REFUSED), monkeypatch=monkeypatch)
    assert result["grounds"] == ["NOT_ELIGIBLE_CATEGORY", "NO_CONSENT"]


def test_empty_list(monkeypatch):
    assert check("-", stdin="[]", monkeypatch=monkeypatch) == []


def test_facts_option_adds_findings(tmp_path):
    result = check(write(tmp_path, REFUSED), "--facts")
    assert [finding["code"] for finding in result["findings"]] == ["NOT_ELIGIBLE_CATEGORY", "NO_CONSENT"]
    assert result["findings"][0]["facts"] == {"profile": "regional-30d"}


def with_unknown_key(case):
    return {**case, "properties": [{"owner_iin": case["applicant"]["iin"], "colour": "red"}]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (with_unknown_key(ELIGIBLE), "invalid case: properties[0].colour: unknown key"),
        ([ELIGIBLE, with_unknown_key(ELIGIBLE)], "invalid case: case 1: properties[0].colour: unknown key"),
        ([{**ELIGIBLE, "fund": "x"}, {"as_of": "2026-11-22"}], "invalid cases:\n  case 0: fund: unknown value 'x'"),
        ({**ELIGIBLE, "as_of": "22/11/2026"}, "invalid case: as_of: expected a date YYYY-MM-DD, got '22/11/2026'"),
        ("{\"as_of\": ", "is not valid JSON"),
        ('{"as_of": "2026-11-22", "as_of": "2026-11-23"}', "duplicate key 'as_of'"),
        ('{"as_of": NaN}', "NaN is not valid JSON"),
        ("", "is not valid JSON"),
        ("42", "expected a case object or a list of case objects"),
        ([42], "case 0: expected an object, got 42"),
    ],
)
def test_bad_input_is_a_command_error_naming_the_key(tmp_path, content, message):
    with pytest.raises(CommandError) as raised:
        check(write(tmp_path, content))
    assert message in str(raised.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(CommandError, match="cannot read .*missing.json: No such file"):
        check(str(tmp_path / "missing.json"))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CommandError, match="cannot read"):
        check(str(binary))


def manage(*args, stdin=""):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "housing_queue.settings.test"}
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_process_success_and_failure_exit_codes():
    ok = manage("check_eligibility", "-", stdin=json.dumps([ELIGIBLE]))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)[0]["eligible"] is True

    bad = manage("check_eligibility", "-", stdin=json.dumps([ELIGIBLE, with_unknown_key(ELIGIBLE)]))
    assert bad.returncode == 1
    assert "case 1: properties[0].colour: unknown key" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert bad.stdout == ""
