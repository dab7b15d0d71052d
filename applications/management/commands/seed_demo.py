"""Demo department, lists, one user per role and a few dozen cases in every workflow state (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Provider, Role, ServiceCentre, Settlement, User
from applications.models import Application, CaseState, Category, Channel, DocumentType
from applications.services.intake import FamilyMemberData, IntakeRequest, accept_application
from applications.services.people import ContactDetails
from applications.services.workflow import run_transition
from eligibility.adapters.individuals import SimulatedIndividualsRegistry
from queues.models import CategoryGroup, Fund, QueueList

PASSWORD = "demo-pass-2026"
CITIZEN_IIN = "900215300126"

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

# target state -> transitions from "accepted"
PATHS = {
    CaseState.ACCEPTED: [],
    CaseState.REGISTERED: ["register"],
    CaseState.IN_REVIEW: ["register", "assign_executor"],
    CaseState.AWAITING_DOCUMENTS: ["register", "assign_executor", "request_documents"],
    CaseState.HEARING: ["register", "assign_executor", "send_preliminary_refusal"],
    CaseState.AWAITING_SIGNATURE: ["register", "assign_executor", "submit_draft_decision"],
    CaseState.QUEUED: ["register", "assign_executor", "submit_draft_decision", "sign_registration"],
    CaseState.REFUSED: ["register", "assign_executor", "send_preliminary_refusal", "submit_draft_decision", "sign_refusal"],
    CaseState.RETURNED: ["register", "assign_executor", "return_incomplete"],
    CaseState.WITHDRAWN: ["register", "withdraw"],
    CaseState.REMOVED: ["register", "assign_executor", "submit_draft_decision", "sign_registration", "remove_from_register"],
    CaseState.HOUSED: ["register", "assign_executor", "submit_draft_decision", "sign_registration", "mark_housed"],
}


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
        created = self._applications(providers, users)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new applications)."))
        self.stdout.write("Logins (password for all: %s):" % PASSWORD)
        for username, role in [("citizen", "applicant, IIN 900215300126"), ("operator", "ЦОН operator"), ("clerk", "clerk"),
                               ("head", "head"), ("executor", "executor"), ("admin", "administrator"), ("auditor", "auditor")]:
            self.stdout.write(f"  {username:<10} {role}")

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
        users = {}
        for username, role, extra in specs:
            user, created = User.objects.get_or_create(username=username, defaults={"role": role, **extra})
            if created:
                user.set_password(PASSWORD)
                user.save()
            users[username] = user
        return users

    def _applications(self, providers, users):
        """Cases for the simulator's demo people (not the citizen: their cabinet starts empty so they can apply)."""
        registry = SimulatedIndividualsRegistry()
        people = [p for p in registry.all_people() if p.iin != CITIZEN_IIN and p.birth_date.year < 2008]
        provider, settlement = providers["almaty"]
        if Application.objects.filter(provider=provider).exists():
            return 0
        categories = list(Category.objects.exclude(group=CategoryGroup.EMERGENCY))
        docs = set(DocumentType.objects.values_list("code", flat=True))
        states = list(PATHS)
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
            for step in PATHS[state]:
                kwargs = {"executor": users["executor"]} if step == "assign_executor" else {}
                actor = users["clerk"] if step == "register" else users["head"] if step in ("assign_executor", "sign_registration", "sign_refusal") else users["executor"]
                case = run_transition(case, step, actor=actor, comment="demo", **kwargs)
            created += 1
        return created
