"""Uploaded scans are served only here, after the access check, with headers that keep them inert."""

from django.http import FileResponse, Http404

from accounts.access import can_view_application
from audit.services import record_staff_read

from ..models import Attachment


def attachment(request, pk):
    if not request.user.is_authenticated:
        raise Http404
    item = Attachment.objects.select_related("application", "draft").filter(pk=pk).first()
    if item is None:
        raise Http404
    allowed = (item.application_id and can_view_application(request.user, item.application)) or (
        item.draft_id and item.draft.owner_id == request.user.pk
    )
    if not allowed:
        raise Http404
    record_staff_read(request, "attachment.viewed", item, application=item.application_id,
                      document_type=item.document_type_id)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = f'inline; filename="document-{item.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
