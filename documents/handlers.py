from audit.relay import handler

from .services import ensure_pdf


@handler("documents.render_pdf")
def render_pdf(document_id: int) -> None:
    ensure_pdf(document_id)
