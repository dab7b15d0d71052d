"""manage.py demo_ca: the demo certification authority and a PKCS#12 signing key for every demo user."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, User
from signatures import demo


class Command(BaseCommand):
    help = (
        "Create (once) a demo CA in the trust directory and issue PKCS#12 signing keys for the demo users "
        "(idempotent). Staff accounts without an IIN get a demo IIN, as NCA certificates carry one. "
        "Refuses with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", help="trust directory (default: KEZEK_TRUST_DIR)")
        parser.add_argument("--password", default=demo.DEMO_PASSWORD, help="password of the issued key files")
        parser.add_argument("--users", help="comma-separated usernames (default: every demo account present)")
        parser.add_argument("--reissue", action="store_true", help="issue new user keys even if the current ones are good")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("demo_ca issues keys with a published password; refusing with DEBUG off (use --force).")
        ca, created = demo.load_or_create(options["dir"])
        self.stdout.write(f"{'Created' if created else 'Using'} the demo CA in {ca.directory}")
        users = self._users(options["users"])
        with transaction.atomic():
            taken = set(User.objects.exclude(iin__isnull=True).values_list("iin", flat=True))
            for user in users:
                if not user.iin:
                    user.iin = demo.staff_iin(user.username, taken)
                    taken.add(user.iin)
                    user.save(update_fields=["iin"])
        issued = 0
        for user in users:
            path, new = demo.issue_user_key(ca, user, options["password"], force=options["reissue"])
            issued += new
            self.stdout.write(f"  {user.username:<16} IIN {user.iin}  {path}{'  (new)' if new else ''}")
        citizen = next((u for u in users if u.role == Role.APPLICANT), None)
        if citizen is not None:
            for path in demo.issue_refused_keys(ca, citizen, options["password"]):
                self.stdout.write(f"  refused on purpose: {path}")
        from accounts.models import Provider

        for provider in Provider.objects.order_by("code"):  # each department seals with its own key
            path, new = demo.issue_provider_seal(ca, provider, options["password"], force=options["reissue"])
            self.stdout.write(f"  {'seal ' + provider.code:<16} {'(no IIN)':<16} {path}{'  (new)' if new else ''}")
        if created or demo.crls_stale(ca):
            demo.write_crls(ca)
        self.stdout.write(self.style.SUCCESS(
            f"Demo keys ready ({issued} new); password {options['password']!r}. Trusted root: "
            f"{ca.directory / 'roots' / 'kezek-demo-root.pem'}"
        ))

    def _users(self, names):
        queryset = User.objects.filter(is_active=True).select_related("provider", "service_centre").order_by("username")
        if names:
            wanted = [n.strip() for n in names.split(",") if n.strip()]
            users = list(queryset.filter(username__in=wanted))
            missing = set(wanted) - {u.username for u in users}
            if missing:
                raise CommandError(f"no such users: {', '.join(sorted(missing))}")
            return users
        from applications.management.commands.seed_demo import CITIZEN_IIN

        return [u for u in queryset if u.iin == CITIZEN_IIN or (u.role != Role.APPLICANT and not u.username.startswith("demo-"))]
