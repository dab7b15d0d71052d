from django.http import Http404, HttpResponse

from accounts.access import can_view_issued_document
from audit.services import record_staff_read

from .models import IssuedDocument
from .services import ensure_pdf


def download(request, number):
    document = IssuedDocument.objects.select_related("application").filter(number=number).first()
    if document is None or not can_view_issued_document(request.user, document):
        raise Http404
    record_staff_read(request, "document.viewed", document, kind=document.kind, iin=document.person_iin,
                      application=document.application_id)
    document = ensure_pdf(document.pk)
    with document.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response

