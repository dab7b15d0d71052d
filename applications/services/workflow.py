"""Running a case transition: permission, row lock, FSM transition, timeline entry and audit event in one transaction."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, has_transition_perm

from accounts.access import may_act
from audit.services import record_event

from ..models import Application, CaseEvent
from .errors import ServiceError


class NotPermitted(ServiceError):
    pass


def require_action(user, action: str, application) -> None:
    if not may_act(user, action, application):
        raise NotPermitted(_("You are not allowed to do this with this case."))


def lock_case(application) -> Application:
    return Application.objects.select_for_update().select_related("applicant", "provider").get(pk=application.pk)


def apply_transition(locked: Application, name: str, *, actor, comment: str = "", visible_to_applicant=True, **kwargs):
    """Inside the caller's transaction, on a row the caller has locked."""
    method = getattr(locked, name)
    if not has_transition_perm(method, actor):
        if not may_act(actor, name, locked):
            raise NotPermitted(_("You are not allowed to do this with this case."))
        raise ServiceError(_("This action is not possible in the case's current state."))
    before = locked.state
    try:
        method(**kwargs)
    except TransitionNotAllowed:
        raise ServiceError(_("This action is not possible in the case's current state.")) from None
    locked.save()
    from queues.services.entries import on_case_transition

    on_case_transition(locked, name)  # the place in the queue follows the case (same transaction)
    CaseEvent.objects.create(
        application=locked, actor=actor, action=name, from_state=before, to_state=locked.state,
        comment=comment, visible_to_applicant=visible_to_applicant,
    )
    record_event(actor=actor, action=f"application.{name}", obj=locked, data={"from": before, "to": locked.state})
    return locked


def run_transition(application: Application, name: str, *, actor, comment: str = "", visible_to_applicant=True, **kwargs):
    with transaction.atomic():
        locked = lock_case(application)
        return apply_transition(locked, name, actor=actor, comment=comment, visible_to_applicant=visible_to_applicant, **kwargs)


def log_case_event(application, *, actor, action: str, comment: str = "", visible_to_applicant=True, data=None):
    """A timeline entry for an action that is not a state change (reassignment, hearing record, dispatch…)."""
    CaseEvent.objects.create(
        application=application, actor=actor, action=action, from_state=application.state, to_state=application.state,
        comment=comment, visible_to_applicant=visible_to_applicant,
    )
    record_event(actor=actor, action=f"application.{action}", obj=application, data=data or {})
