from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.access import can_view_issued_document

from .models import IssuedDocument
from .services import ensure_pdf


def download(request, number):
    document = IssuedDocument.objects.select_related("application").filter(number=number).first()
    if document is None or not can_view_issued_document(request.user, document):
        raise Http404
    document = ensure_pdf(document.pk)
    with document.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def verify(request):
    """Anyone checks that a document was issued by Kezek: number + verification code."""
    number = (request.GET.get("number") or "").strip().upper()
    code = (request.GET.get("code") or "").strip().upper()
    result = None
    if number or code:
        document = IssuedDocument.objects.filter(number=number).first()
        if document is not None and code and document.verification_code == code:
            result = {"ok": True, "document": document}
        else:
            result = {"ok": False, "message": _("No document with this number and code was issued by this system.")}
    return render(request, "documents/verify.html", {"result": result, "number": number, "code": code})
