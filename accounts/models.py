from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TranslatedNameMixin


class Provider(TranslatedNameMixin):
    """A housing department of an akimat (көрсетілетін қызметті беруші); one installation may serve several."""

    code = models.SlugField(max_length=32, unique=True)
    regulation_profile = models.CharField(
        max_length=32, default="regional-30d", help_text=_("Regulation profile applied to new cases")
    )
    address = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["code"]


class SettlementKind(models.TextChoices):
    CAPITAL = "capital", _("Capital")
    REPUBLICAN_CITY = "republican_city", _("City of republican significance")
    REGIONAL_CITY = "regional_city", _("Regional city")
    DISTRICT = "district", _("District")
    VILLAGE = "village", _("Village")


class Settlement(TranslatedNameMixin):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="settlements")
    code = models.SlugField(max_length=32)
    kind = models.CharField(max_length=20, choices=SettlementKind.choices)

    class Meta:
        ordering = ["provider", "code"]
        constraints = [models.UniqueConstraint(fields=["provider", "code"], name="settlement_code_unique_per_provider")]


class ServiceCentre(TranslatedNameMixin):
    """A ЦОН (ХҚО) branch of the State Corporation where paper applications are taken."""

    code = models.SlugField(max_length=32, unique=True)
    address = models.CharField(max_length=255)
    providers = models.ManyToManyField(Provider, related_name="service_centres")

    class Meta:
        ordering = ["code"]


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    OPERATOR = "operator", _("Service centre operator")
    CLERK = "clerk", _("Clerk")
    HEAD = "head", _("Head of department")
    EXECUTOR = "executor", _("Executor")
    ADMINISTRATOR = "administrator", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


STAFF_ROLES = {Role.CLERK, Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR, Role.AUDITOR}
DEPARTMENT_ROLES = STAFF_ROLES


class KezekUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """One account per person and role; citizens sign in by IIN, staff by username."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.APPLICANT)
    iin = models.CharField(_("IIN"), max_length=12, unique=True, null=True, blank=True)
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    service_centre = models.ForeignKey(
        ServiceCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="operators"
    )
    patronymic = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    preferred_language = models.CharField(max_length=5, default="kk")

    objects = KezekUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.APPLICANT) | Q(iin__isnull=False), name="applicant_has_iin"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.OPERATOR) | Q(service_centre__isnull=False), name="operator_has_branch"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=sorted(r.value for r in DEPARTMENT_ROLES)) | Q(provider__isnull=False),
                name="department_staff_has_provider",
            ),
            models.CheckConstraint(condition=Q(iin__isnull=True) | Q(iin__regex=r"^[0-9]{12}$"), name="user_iin_12_digits"),
        ]

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_department_staff(self) -> bool:
        return self.role in DEPARTMENT_ROLES

    @property
    def display_name(self) -> str:
        parts = [self.last_name, self.first_name, self.patronymic]
        return " ".join(p for p in parts if p) or self.username
