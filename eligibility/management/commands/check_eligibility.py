"""`manage.py check_eligibility FILE`: run the rules engine on cases in the CONTRACT.md format.

Prints one decision object for a single case, a list for a list of cases. Any input problem
(unreadable file, bad JSON, a case not in the format) is reported on stderr with the key path
(and the case index for a list) and exit code 1; nothing is printed on stdout then, so a script
never reads decisions for half of its cases.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from eligibility.case import CaseFormatError, parse_case
from eligibility.rules import evaluate


def _reject_duplicate_keys(pairs):
    """A repeated key would silently override the first value, so it is an error like an unknown one."""
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class Command(BaseCommand):
    help = "Decide eligibility for one case or a JSON list of cases (CONTRACT.md case format); FILE '-' reads stdin."

    def add_arguments(self, parser):
        parser.add_argument(
            "file", metavar="FILE", help="JSON file with one case object or a list of cases; '-' for stdin"
        )
        parser.add_argument(
            "--facts", action="store_true", help="also print each finding with its code, message key and facts"
        )

    def handle(self, *args, file, facts, **options):
        data = self._load(file)
        if not isinstance(data, (dict, list)):
            raise CommandError("invalid input: expected a case object or a list of case objects")
        cases = data if isinstance(data, list) else [data]
        parsed, errors = [], []
        for index, raw in enumerate(cases):
            try:
                parsed.append(parse_case(raw))
            except CaseFormatError as error:
                errors.append(f"case {index}: {error}" if isinstance(data, list) else str(error))
        if len(errors) == 1:
            raise CommandError(f"invalid case: {errors[0]}")
        if errors:
            raise CommandError("invalid cases:\n" + "\n".join(f"  {error}" for error in errors))
        decisions = [evaluate(case).as_dict(with_findings=facts) for case in parsed]
        output = decisions if isinstance(data, list) else decisions[0]
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2))

    def _load(self, file):
        try:
            if file == "-":
                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as stream:
                    text = stream.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {getattr(error, 'strerror', None) or error}") from None
        try:
            return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
        except ValueError as error:
            raise CommandError(f"{'stdin' if file == '-' else file} is not valid JSON: {error}") from None
