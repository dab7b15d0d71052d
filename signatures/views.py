import base64

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import may_act
from applications.selectors import case_for_page
from applications.services.errors import ServiceError
from audit.services import record_event
from documents.models import IssuedDocument

from . import errors, services
from .forms import VerifyUploadForm
from .verification import check_issued_document, check_pdf


@require_http_methods(["GET", "POST"])
def verify(request):
    """Anyone checks a document: by number + verification code, or by uploading the PDF."""
    number = (request.GET.get("number") or "").strip().upper()
    code = (request.GET.get("code") or "").strip().upper()
    result = check = None
    form = VerifyUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            content = form.cleaned_data["pdf"].read()
            check = check_pdf(content)
            record_event(
                actor=request.user if request.user.is_authenticated else None, action="signature.pdf_checked",
                obj=("pdf", check.sha256[:16]),
                data={"sha256": check.sha256, "document": check.document.number if check.document else "",
                      "signatures": [{"certificate_serial": s.signer.serial_hex, "certificate_sha256": s.signer.sha256,
                                      "ok": s.ok, "problem": s.problem_code} for s in check.signatures]},
            )
    elif number or code:
        document = IssuedDocument.objects.filter(number=number).first()
        if document is not None and code and document.verification_code == code:
            result = {"ok": True, "document": document, "signatures": list(document.signatures.all())}
            check = check_issued_document(document)
        else:
            result = {"ok": False, "message": _("No document with this number and code was issued by this system.")}
    return render(request, "signatures/verify.html", {
        "result": result, "number": number, "code": code, "form": form, "check": check,
    })


@require_POST
def prepare_decision(request, number):
    """The head's browser sends the certificate; the answer is what the head's key signs (JSON)."""
    if not request.user.is_authenticated:
        raise Http404
    case = case_for_page(request.user, number)
    if case is None:
        raise Http404
    if not (may_act(request.user, "sign_registration", case) or may_act(request.user, "sign_refusal", case)):
        raise PermissionDenied
    certificates = request.POST.getlist("certificate")
    try:
        session = services.prepare_decision_signing(case, request.user, certificates, method=request.POST.get("method", ""))
    except errors.SignatureError as exc:
        return JsonResponse({"error": str(exc.user_message), "code": exc.code}, status=400)
    except ServiceError as exc:
        return JsonResponse({"error": str(exc.user_message), "code": "not_possible"}, status=400)
    return JsonResponse({
        "session": str(session.pk),
        "signed_attrs": base64.b64encode(bytes(session.signed_attrs)).decode(),
        "document_digest": base64.b64encode(bytes(session.document_digest)).decode(),
        "digest_algorithm": "SHA-256",
        "document_number": session.document_number,
    })
