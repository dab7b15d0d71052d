from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deadlines.due import working_time_left
from deadlines.profiles import UnknownProfile
from deadlines.services import calendar_for, profile_for_case

register = template.Library()


@register.filter
def time_left(case):
    """Remaining time to the service deadline, counted the way the case's regulation profile counts."""
    if not case.result_due_at:
        return ""
    try:
        profile = profile_for_case(case)
    except UnknownProfile:
        return ""
    left = working_time_left(timezone.now(), case.result_due_at, profile, calendar_for())
    if left.overdue:
        return _("overdue")
    if left.working:
        if left.days:
            return ngettext("%(n)d working day", "%(n)d working days", left.days) % {"n": left.days}
        return _("%(h)d h %(m)d min of working time") % {"h": left.hours, "m": left.minutes}
    if left.days:
        return ngettext("%(n)d day", "%(n)d days", left.days) % {"n": left.days}
    return _("%(h)d h %(m)d min") % {"h": left.hours, "m": left.minutes}


@register.filter
def is_overdue(case):
    return bool(case.result_due_at and case.result_due_at < timezone.now() and case.is_pending)


@register.filter
def masked_iin(iin):
    """Show the birth part and the last two digits only."""
    return f"{iin[:6]}****{iin[-2:]}" if iin and len(iin) == 12 else ""


@register.simple_tag(takes_context=True)
def show_iin(context, iin, place):
    """An IIN as this page may print it: `{% show_iin case.applicant.iin "case" %}`; "list" and "public" mask it.

    The decision is accounts.access.can_see_full_iin; a context without a user (PDFs, e-mails) gets the masked form.
    """
    from accounts.access import can_see_full_iin

    user = context.get("user")
    if user is None and context.get("request") is not None:
        user = context["request"].user
    return (iin or "") if can_see_full_iin(user, place) else masked_iin(iin)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def ground_title(code):
    from applications.grounds_text import ground_title as title

    return title(code)


@register.filter
def finding_text(finding):
    from applications.grounds_text import finding_text as text

    return text(finding)


@register.filter
def document_type_name(code):
    """Names of document types by code; the table is tiny and read once per request."""
    from applications.models import DocumentType

    names = getattr(document_type_name, "_cache", None)
    if names is None or code not in names:
        names = dict((dt.code, dt) for dt in DocumentType.objects.all())
        document_type_name._cache = names
    item = names.get(code)
    return item.name if item else code
