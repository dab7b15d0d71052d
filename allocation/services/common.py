"""What every allocation service shares: who may act, locks in one order, texts cleaned the same way.

Lock order, everywhere: the round, then the queue lists it draws from (by id), then dwellings, offers and
skips, then the case and the list's log head (applications.services.workflow, queues.services.entries).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import has_ability
from applications.services.errors import ServiceError
from applications.services.workflow import NotPermitted

from ..models import AllocationRound

MAX_COMMENT = 2000


class OwnProposal(NotPermitted):
    message = gettext_lazy("You proposed this skip; another officer must approve or reject it.")


class AlreadyDecided(ServiceError):
    message = gettext_lazy("This has already been decided; nothing was changed.")


def require(user, ability: str, provider_id: int) -> None:
    """The ability, for this provider only (staff see and act on their own department's allocation)."""
    if not has_ability(user, ability) or user.provider_id != provider_id:
        raise NotPermitted(_("You are not allowed to do this in this allocation round."))


def lock_round(round_or_id) -> AllocationRound:
    pk = getattr(round_or_id, "pk", round_or_id)
    locked = AllocationRound.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise ServiceError(_("This allocation round does not exist."))
    return locked


def clean_text(value, *, missing: str, limit: int = MAX_COMMENT, required: bool = True) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise ServiceError(missing)
    if len(value) > limit:
        raise ServiceError(_("The text is too long (at most %(n)d characters).") % {"n": limit})
    return value
