"""WeasyPrint rendering of issued documents.

The font is set on `html` (margin boxes do not inherit from `body`) and must cover the Kazakh
letters Ә Ғ Қ Ң Ө Ұ Ү Һ І; DejaVu Sans does and is installed by the set-up.
"""

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import timezone

from .models import IssuedDocument


def _parse_datetimes(context: dict) -> dict:
    parsed = dict(context)
    for key, value in context.items():
        if isinstance(value, str) and key.endswith(("_at", "_due")) and "T" in value:
            try:
                parsed[key] = timezone.localtime(datetime.fromisoformat(value))
            except ValueError:
                pass
    return parsed


def document_context(document: IssuedDocument) -> dict:
    from applications.models import DocumentType

    context = _parse_datetimes(document.context)
    names = {dt.code: dt.name for dt in DocumentType.objects.all()}
    for key in ("documents", "documents_received", "missing"):
        if key in context:
            context[f"{key}_named"] = [names.get(code, code) for code in context[key]]
    return {"doc": document, "c": context}


def render_document(document: IssuedDocument) -> bytes:
    from weasyprint import HTML

    html = render_to_string(f"documents/pdf/{document.kind}.html", document_context(document))
    return HTML(string=html, base_url=None).write_pdf()
