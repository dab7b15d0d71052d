"""Demo department, lists, one user per role and a few dozen cases in every workflow state (idempotent)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Provider, Role, ServiceCentre, Settlement, User
from applications.models import Application, CaseState, Category, Channel, DocumentType
from applications.services.intake import IntakeRequest, accept_application
from applications.services.people import ContactDetails
from applications.services.workflow import run_transition
from eligibility.adapters.individuals import SimulatedIndividualsRegistry
from queues.models import CategoryGroup, Fund, QueueList
from signatures.demo import sign_decision_as

PASSWORD = "demo-pass-2026"
CITIZEN_IIN = "900215300126"
# the supporting document of the demo removal (a one-page PDF the upload check accepts)
DEMO_PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

PROVIDERS = [
    # code, profile, kk, ru, en, settlement (code, kind, kk, ru, en)
    ("almaty", "national-2025", "Алматы қаласының тұрғын үй басқармасы", "Управление жилья города Алматы", "Almaty City Housing Department",
     ("almaty", "republican_city", "Алматы қаласы", "город Алматы", "Almaty")),
    ("aktobe", "regional-30d", "Ақтөбе қаласының тұрғын үй бөлімі", "Отдел жилья города Актобе", "Aktobe City Housing Department",
     ("aktobe", "regional_city", "Ақтөбе қаласы", "город Актобе", "Aktobe")),
]
GROUP_NAMES = {
    CategoryGroup.SOCIALLY_VULNERABLE: ("Әлеуметтік осал топтар", "Социально уязвимые слои населения", "Socially vulnerable groups"),
    CategoryGroup.CIVIL_SERVANTS: ("Мемлекеттік қызметшілер, бюджет қызметкерлері, әскери қызметшілер", "Госслужащие, работники бюджетных организаций, военнослужащие", "Civil servants, budget employees, military"),
    CategoryGroup.ORPHANS: ("Жетім балалар", "Дети-сироты", "Orphans"),
    CategoryGroup.EMERGENCY: ("Апатты тұрғын үй", "Аварийное жильё", "Emergency dwellings"),
    CategoryGroup.GENERAL: ("Жалпы тізім", "Общий список", "General list"),
}
FUND_NAMES = {Fund.COMMUNAL: ("коммуналдық", "коммунальный", "communal"), Fund.STATE_INSTITUTION: ("мемлекеттік мекеме", "гос. учреждения", "state institution")}

# the demo states, reached through the real services (see _advance)
DEMO_STATES = [
    CaseState.ACCEPTED, CaseState.REGISTERED, CaseState.IN_REVIEW, CaseState.AWAITING_DOCUMENTS,
    CaseState.HEARING, CaseState.AWAITING_SIGNATURE, CaseState.QUEUED, CaseState.REFUSED,
    CaseState.RETURNED, CaseState.WITHDRAWN, CaseState.REMOVED, CaseState.HOUSED,
]


class Command(BaseCommand):
    help = "Create the demo department, lists, users and cases (idempotent). Refuses with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates demo users with a published password; refusing with DEBUG off (use --force).")
        with transaction.atomic():
            providers = self._providers()
            users = self._users(providers)
        # EDS: the demo CA and a PKCS#12 signing key per demo user (var/trust/demo-keys/), idempotent
        call_command("demo_ca", force=True, stdout=self.stdout)
        for user in users.values():
            if isinstance(user, User):
                user.refresh_from_db(fields=["iin"])
        created = self._applications(providers, users)
        published = self._publish_lists()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new applications, {published} lists published)."))
        self.stdout.write("Logins (password for all: %s):" % PASSWORD)
        for username, role in [("citizen", "applicant, IIN 900215300126"), ("operator", "ЦОН operator"), ("clerk", "clerk"),
                               ("head", "head"), ("executor", "executor"), ("admin", "administrator"), ("auditor", "auditor")]:
            self.stdout.write(f"  {username:<10} {role}")
        from signatures.demo import demo_key

        self.stdout.write(f"EDS signing keys: {demo_key('<login>')} (key password {PASSWORD})")

    def _publish_lists(self) -> int:
        """A first publication of every list with places, so /queue/ has something to show (once)."""
        from queues.models import PublishedSnapshot, QueueList, SnapshotKind, SnapshotStatus
        from queues.services.publication import publish_list

        published = 0
        lists = QueueList.objects.filter(is_active=True, entries__isnull=False).distinct()
        for queue_list in lists:
            if not PublishedSnapshot.objects.filter(queue_list=queue_list, status=SnapshotStatus.PUBLISHED).exists():
                publish_list(queue_list, kind=SnapshotKind.ON_DEMAND)
                published += 1
        return published

    def _providers(self):
        result = {}
        centre, _ = ServiceCentre.objects.update_or_create(
            code="con-almaty-1",
            defaults={"name_kk": "№1 ХҚО (Алматы)", "name_ru": "ЦОН №1 (Алматы)", "name_en": "Public service centre No. 1 (Almaty)",
                      "address": "Алматы қ., Жандосов к., 2"},
        )
        for code, profile, kk, ru, en, (s_code, kind, s_kk, s_ru, s_en) in PROVIDERS:
            provider, _ = Provider.objects.update_or_create(
                code=code, defaults={"regulation_profile": profile, "name_kk": kk, "name_ru": ru, "name_en": en,
                                     "address": s_kk + ", әкімдік ғимараты"},
            )
            centre.providers.add(provider)
            settlement, _ = Settlement.objects.update_or_create(
                provider=provider, code=s_code, defaults={"kind": kind, "name_kk": s_kk, "name_ru": s_ru, "name_en": s_en}
            )
            order = 0
            for fund, (f_kk, f_ru, f_en) in FUND_NAMES.items():
                for group, (g_kk, g_ru, g_en) in GROUP_NAMES.items():
                    order += 1
                    QueueList.objects.update_or_create(
                        provider=provider, settlement=settlement, fund=fund, category_group=group,
                        defaults={"code": f"{s_code}-{fund}-{group.lower()}".replace("_", "-"), "ordering": order,
                                  "name_kk": f"{g_kk} ({f_kk})", "name_ru": f"{g_ru} ({f_ru})", "name_en": f"{g_en} ({f_en})"},
                    )
            result[code] = (provider, settlement)
        result["centre"] = centre
        return result

    def _users(self, providers):
        almaty = providers["almaty"][0]
        specs = [
            ("citizen", Role.APPLICANT, {"iin": CITIZEN_IIN, "first_name": "Ерлан", "last_name": "Серікбаев", "patronymic": "Маратұлы", "phone": "+77011234567"}),
            ("operator", Role.OPERATOR, {"service_centre": providers["centre"], "first_name": "Динара", "last_name": "Оспанова"}),
            ("clerk", Role.CLERK, {"provider": almaty, "first_name": "Жанар", "last_name": "Әлиева"}),
            ("head", Role.HEAD, {"provider": almaty, "first_name": "Асқар", "last_name": "Құдайбергенов"}),
            ("executor", Role.EXECUTOR, {"provider": almaty, "first_name": "Гүлмира", "last_name": "Нұрғалиева"}),
            ("admin", Role.ADMINISTRATOR, {"provider": almaty, "first_name": "Мақсат", "last_name": "Төлеуов", "is_staff": True, "is_superuser": True}),
            ("auditor", Role.AUDITOR, {"provider": almaty, "first_name": "Іңкәр", "last_name": "Сәтбаева"}),
        ]
        aktobe = providers["aktobe"][0]
        specs += [
            ("aktobe-clerk", Role.CLERK, {"provider": aktobe, "first_name": "Айжан", "last_name": "Бекова"}),
            ("aktobe-head", Role.HEAD, {"provider": aktobe, "first_name": "Серік", "last_name": "Жұмаев"}),
            ("aktobe-executor", Role.EXECUTOR, {"provider": aktobe, "first_name": "Ләззат", "last_name": "Омарова"}),
            ("aktobe-admin", Role.ADMINISTRATOR, {"provider": aktobe, "first_name": "Ерлан", "last_name": "Сапаров"}),
        ]
        users = {}
        for username, role, extra in specs:
            user, created = User.objects.get_or_create(username=username, defaults={"role": role, **extra})
            if created:
                user.set_password(PASSWORD)
                user.save()
            users[username] = user
        users["aktobe"] = {role: users[f"aktobe-{role}"] for role in ("clerk", "head", "executor", "admin")}
        return users

    def _applications(self, providers, users):
        """Cases for the simulator's demo people (not the citizen: their cabinet starts empty so they can apply)."""
        registry = SimulatedIndividualsRegistry()
        people = [p for p in registry.all_people() if p.iin != CITIZEN_IIN and p.birth_date.year < 2008]
        provider, settlement = providers["almaty"]
        if Application.objects.filter(provider=provider).exists():
            return 0
        categories = list(Category.objects.exclude(group=CategoryGroup.EMERGENCY))
        docs = set(DocumentType.objects.for_intake().values_list("code", flat=True))
        states = DEMO_STATES
        created = 0
        for index, person in enumerate(people * 3):
            state = states[index % len(states)]
            target_provider, target_settlement = (provider, settlement) if index < len(people) else providers["aktobe"] if index < 2 * len(people) else (None, None)
            if target_provider is None:
                continue
            if Application.objects.filter(applicant__iin=person.iin, provider=target_provider).exists():
                continue
            channel = Channel.SERVICE_CENTRE if index % 2 else Channel.PORTAL
            if channel == Channel.PORTAL:
                filer, new = User.objects.get_or_create(
                    iin=person.iin,
                    defaults={"username": f"demo-{person.iin}", "role": Role.APPLICANT,
                              "first_name": person.given_name, "last_name": person.surname},
                )
                if new:
                    filer.set_password(PASSWORD)
                    filer.save()
            else:
                filer = users["operator"]
            case = accept_application(
                IntakeRequest(
                    provider=target_provider, settlement=target_settlement, fund=Fund.COMMUNAL,
                    category=categories[index % len(categories)], applicant=person,
                    contacts=ContactDetails(phone=f"+7701{index:07d}", email=f"demo{index}@example.kz"),
                    consents={"property_check", "personal_data", "publication"}, channel=channel,
                    submitted_by=filer,
                    service_centre=providers["centre"] if channel == Channel.SERVICE_CENTRE else None,
                    documents_received=docs,
                    family=[],
                )
            )
            staff = users if target_provider.code == "almaty" else users["aktobe"]
            self._advance(case, state, {**users, **staff}, filer)
            created += 1
        return created

    def _advance(self, case, state, users, filer):
        """Walk a fresh case to `state` with the same services staff use."""
        from datetime import timedelta

        from django.utils import timezone

        from applications.models import DecisionKind
        from applications.services import review
        from deadlines.due import add_working_days

        if state == CaseState.ACCEPTED:
            return
        review.register_case(case, users["clerk"])
        if state == CaseState.REGISTERED:
            return
        if state == CaseState.WITHDRAWN:
            review.withdraw(case, filer, "demo: withdrawn on request")
            return
        review.assign_executor(case, users["head"], users["executor"])
        if state == CaseState.IN_REVIEW:
            return
        if state == CaseState.AWAITING_DOCUMENTS:
            review.request_documents(case, users["executor"], list(DocumentType.objects.filter(code="category_certificate")), "demo")
            return
        if state == CaseState.RETURNED:
            review.return_incomplete(case, users["executor"], list(DocumentType.objects.filter(code="address_registration")))
            return
        check = review.run_eligibility(case, users["executor"])
        override = "" if check.eligible else "demo: documents prove the registry record is outdated"
        if state in (CaseState.HEARING, CaseState.REFUSED):
            grounds = check.grounds or ["UNRELIABLE_DATA"]
            review.send_preliminary_refusal(
                case, users["executor"], grounds=grounds, reasoning="demo", override_reason="" if check.grounds else override or "demo",
                hearing_at=add_working_days(timezone.now(), 1) - timedelta(hours=3), place="Room 12",
            )
            if state == CaseState.HEARING:
                return
            review.record_hearing(case, users["executor"], attended=False, position="")
            review.draft_decision(case, users["executor"], kind=DecisionKind.REFUSAL, grounds=grounds, reasoning="demo",
                                  override_reason="" if check.grounds else "demo")
        else:
            review.draft_decision(case, users["executor"], kind=DecisionKind.REGISTRATION, override_reason=override)
        if state == CaseState.AWAITING_SIGNATURE:
            return
        sign_decision_as(case, users["head"])  # with the head's demo EDS key (plain approval if EDS is off)
        review.dispatch_decision(case, users["clerk"])
        if state == CaseState.REMOVED:  # through the two-person flow: the administrator proposes, the head approves
            from django.core.files.uploadedfile import SimpleUploadedFile

            from queues.services.removals import approve_removal, propose_removal

            request = propose_removal(
                case.queue_entry, users["admin"], ground="OWN_REQUEST", reason="demo: the applicant asked in writing",
                legal_basis="Law on Housing Relations, art. 73", effective_date=timezone.localdate(),
                document=SimpleUploadedFile("request.pdf", DEMO_PDF, content_type="application/pdf"),
            )
            approve_removal(request, users["head"])
        elif state == CaseState.HOUSED:  # as the head's signature on a decision to provide housing does (allocation/)
            from queues.models import QueueEntry
            from queues.services.entries import house_entry

            with transaction.atomic():
                entry = QueueEntry.objects.filter(application=case, status="registered").first()
                if entry is not None:
                    house_entry(entry, decision_number="demo")
                case = run_transition(case, "mark_housed", actor=users["head"], comment="demo")
