from django.core.management.base import BaseCommand

from eligibility.iin import InvalidIIN, parse_iin


class Command(BaseCommand):
    help = "Check IINs: prints 'IIN valid birth=YYYY-MM-DD sex=M/F' or 'IIN invalid: REASON'; exit 1 if any is invalid."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("iins", nargs="+", metavar="IIN")

    def handle(self, *args, **options):
        failed = False
        for value in options["iins"]:
            try:
                iin = parse_iin(value)
            except InvalidIIN as exc:
                failed = True
                self.stdout.write(f"{value} invalid: {exc}")
            else:
                self.stdout.write(f"{iin.value} valid birth={iin.birth_date.isoformat()} sex={iin.sex}")
        if failed:
            raise SystemExit(1)
