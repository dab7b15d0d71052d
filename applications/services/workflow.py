"""Running a case transition: row lock, FSM transition, timeline entry and audit event in one transaction."""

from django.db import transaction
from django_fsm import TransitionNotAllowed
from django.utils.translation import gettext as _

from audit.services import record_event

from ..models import Application, CaseEvent
from .errors import ServiceError


def run_transition(application: Application, name: str, *, actor, comment: str = "", visible_to_applicant=True, **kwargs):
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        before = locked.state
        method = getattr(locked, name)
        try:
            method(**kwargs)
        except TransitionNotAllowed:
            raise ServiceError(_("This action is not possible in the case's current state.")) from None
        locked.save()
        CaseEvent.objects.create(
            application=locked, actor=actor, action=name, from_state=before, to_state=locked.state,
            comment=comment, visible_to_applicant=visible_to_applicant,
        )
        record_event(actor=actor, action=f"application.{name}", obj=locked, data={"from": before, "to": locked.state})
    return locked
