"""The one place that answers "may this user see or act on this object?".

Views and selectors call these functions; nothing else decides access.
"""

from functools import wraps
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import Role

# What each role may do at all; object rules below narrow it to their own cases.
ABILITIES = {
    "file_online": {Role.APPLICANT},
    # personal data (privacy/): a citizen downloads everything held about themself, never anyone else's
    "export_own_data": {Role.APPLICANT},
    "enter_paper_application": {Role.OPERATOR},
    "view_inbox": {Role.CLERK, Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR, Role.AUDITOR},
    "view_person_data": {Role.OPERATOR, Role.CLERK, Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR, Role.AUDITOR},
    # deadlines: dashboards and the regulation settings are read by the head, the administrator and the
    # auditor; only the administrator publishes profile versions and edits the calendar; every staff
    # member sees the deadline alerts addressed to them (always their own provider's / branch's cases)
    "view_deadline_dashboards": {Role.HEAD, Role.ADMINISTRATOR, Role.AUDITOR},
    "view_regulation_settings": {Role.HEAD, Role.ADMINISTRATOR, Role.AUDITOR},
    "manage_regulation_settings": {Role.ADMINISTRATOR},
    "view_deadline_alerts": {Role.OPERATOR, Role.CLERK, Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR, Role.AUDITOR},
    # the queue (DOMAIN.md §7): staff read their provider's lists with numbers; the administrator proposes
    # removals and restorations, publishes lists and runs the inventory; a second person (another
    # administrator or the head) approves a removal or restoration — never the one who proposed it
    "view_queue_lists": {Role.CLERK, Role.HEAD, Role.EXECUTOR, Role.ADMINISTRATOR, Role.AUDITOR},
    "manage_queue": {Role.ADMINISTRATOR},
    "approve_queue_changes": {Role.ADMINISTRATOR, Role.HEAD},
    # housing allocation (allocation/): the administrator keeps the stock and runs rounds; a skip of someone
    # ahead is approved by a second person; the head signs the decision to provide housing
    "view_allocation": {Role.HEAD, Role.ADMINISTRATOR, Role.AUDITOR},
    "manage_allocation": {Role.ADMINISTRATOR},
    "approve_skips": {Role.ADMINISTRATOR, Role.HEAD},
    "sign_allocation_decision": {Role.HEAD},
}


def has_ability(user, ability: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in ABILITIES[ability])


def ability_required(ability: str):
    """View decorator: anonymous users go to the login page, others without the ability get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not has_ability(request.user, ability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Where an IIN is printed (issue 8): in full only on the page of one case or person — the handlers' case page,
# the operator's pages, the executor's review — and to the citizen on their own pages (access already limits
# them to their own cases). Lists, dashboards and registers show it masked; public pages and published lists never
# print an IIN at all (they are built from initials), so "public" is masked too should one ever reach them.
IIN_PLACES = ("case", "list", "public")


def can_see_full_iin(user, place: str) -> bool:
    """May this user read the IIN in full here? `place` is one of IIN_PLACES (the view has checked access)."""
    if place not in IIN_PLACES:
        raise ValueError(f"unknown place for an IIN: {place!r}")
    if place != "case" or not (user and user.is_authenticated and user.is_active):
        return False
    return user.role == Role.APPLICANT or has_ability(user, "view_person_data")


def application_scope(user) -> Q | None:
    """Filter for the cases a user may see; None means none at all."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if user.role == Role.APPLICANT:
        # by IIN, so a citizen also sees the cases a ЦОН operator entered for them, and the case whose place
        # they continue after the applicant's death (queues.QueueEntry.holder)
        return _citizen_scope(user) if user.iin else None
    if user.role == Role.OPERATOR:
        return Q(service_centre_id=user.service_centre_id)
    if user.role == Role.EXECUTOR:
        return Q(provider_id=user.provider_id, assigned_executor=user)
    if user.role in (Role.CLERK, Role.HEAD, Role.ADMINISTRATOR, Role.AUDITOR):
        return Q(provider_id=user.provider_id)
    return None


def _citizen_scope(user) -> Q:
    """Column conditions only (`applicant_id = …`, `id IN (…)`), so PostgreSQL reads the cases by index.

    An OR across two joins (applicant's IIN, holder's IIN) made the planner scan every case; the person and
    the places they hold are looked up once per request instead (citizen_places, cached on the user object).
    """
    places = citizen_places(user)
    if places.person_id is None:
        return Q(pk__in=[])
    # places held include the person's own cases and any case whose place they continue after a death
    scope = Q(applicant_id=places.person_id)
    return scope | Q(pk__in=places.application_ids) if places.application_ids else scope


class CitizenPlaces(NamedTuple):
    person_id: int | None
    entry_ids: list[int]  # queue places the person holds (their own, or continued after a death)
    application_ids: list[int]  # those places' cases
    entries_with_findings: list[int]  # places with an open inventory finding (the cabinet's reminder)
    entries_with_offers: list[int]  # places with a housing offer the holder may see


def citizen_places(user) -> CitizenPlaces:
    """What a citizen holds, by IIN, in one indexed read per request (cached on the user object): the cabinet's
    cases, inventory reminders and housing offers all start from it, and skip their own query when empty."""
    cached = getattr(user, "_kezek_citizen_places", None)
    if cached is not None:
        return cached
    from django.db.models import Exists, OuterRef

    from allocation.models import Offer, OfferStatus
    from applications.models import Person
    from queues.models import FindingStatus, InventoryFinding

    # one indexed read: the person by IIN, LEFT JOINed to the places they hold (a row per place, or one with NULLs)
    rows = list(
        Person.objects.filter(iin=user.iin).order_by()
        .annotate(finding=Exists(InventoryFinding.objects.filter(entry=OuterRef("queue_places__pk"),
                                                                 status=FindingStatus.OPEN)),
                  offer=Exists(Offer.objects.filter(entry=OuterRef("queue_places__pk")).exclude(
                      status__in=[OfferStatus.PROPOSED, OfferStatus.CANCELLED])))
        .values_list("pk", "queue_places__pk", "queue_places__application_id", "finding", "offer")
    ) if user.iin else []
    person_id = rows[0][0] if rows else None
    held = [row[1:] for row in rows if row[1] is not None]
    places = CitizenPlaces(person_id, [row[0] for row in held], [row[1] for row in held],
                           [row[0] for row in held if row[2]], [row[0] for row in held if row[3]])
    user._kezek_citizen_places = places
    return places


def visible_applications(user, queryset: QuerySet | None = None) -> QuerySet:
    from applications.models import Application

    queryset = Application.objects.all() if queryset is None else queryset
    scope = application_scope(user)
    return queryset.none() if scope is None else queryset.filter(scope)


def can_view_application(user, application) -> bool:
    return visible_applications(user).filter(pk=application.pk).exists()


def can_view_issued_document(user, document) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if document.application_id:
        return can_view_application(user, document.application)
    # documents without a case (refusal-to-accept receipts): the branch that issued it, or the person
    if user.role == Role.OPERATOR:
        return document.service_centre_id == user.service_centre_id
    if user.role == Role.APPLICANT:
        return bool(user.iin) and document.person_iin == user.iin
    return False


# Who may do what to a case (beyond seeing it): FSM transitions and the other case actions.
CASE_ACTIONS = {
    "register": {Role.CLERK},
    "assign_executor": {Role.HEAD},
    "reassign_executor": {Role.HEAD},
    "run_eligibility": {Role.EXECUTOR},
    "request_documents": {Role.EXECUTOR},
    "receive_documents": {Role.EXECUTOR},
    "return_incomplete": {Role.EXECUTOR},
    "send_preliminary_refusal": {Role.EXECUTOR},
    "record_hearing": {Role.EXECUTOR},
    "submit_draft_decision": {Role.EXECUTOR},
    "send_back_to_executor": {Role.HEAD},
    "sign_registration": {Role.HEAD},
    "sign_refusal": {Role.HEAD},
    "dispatch": {Role.CLERK},
    "hand_out": {Role.OPERATOR},
    "withdraw": {Role.APPLICANT, Role.OPERATOR},  # online, or on written request at the ЦОН
    "file_complaint": {Role.APPLICANT},
    "upload_requested_document": {Role.APPLICANT},
    "answer_complaint": {Role.HEAD},
    # removal and restoration run when the second person approves the request (queues.services.removals),
    # so the roles that approve queue changes carry them out; the two-person rule itself is checked there
    "remove_from_register": {Role.ADMINISTRATOR, Role.HEAD},
    "restore_to_register": {Role.ADMINISTRATOR, Role.HEAD},
    # the head's signature on the decision to provide housing closes the case (allocation.services.decisions)
    "mark_housed": {Role.HEAD},
}


def role_allows(user, action: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in CASE_ACTIONS[action])


def may_act(user, action: str, application) -> bool:
    """Role allows the action and the user may see this very case (own, branch, assigned, provider)."""
    if not role_allows(user, action):
        return False
    return can_view_application(user, application)


def fsm_permission(action: str):
    """For django_fsm's `permission=`: the same rule as may_act."""
    return lambda instance, user: may_act(user, action, instance)

