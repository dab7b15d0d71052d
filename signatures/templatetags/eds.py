"""Template pieces for signing in the browser and for showing a case's signatures."""

import base64
import json

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from ..services import eds_required as _eds_required

register = template.Library()


def _messages() -> str:
    """The texts eds-sign.js shows, in the page's language (no inline scripts: they travel in a data attribute)."""
    return json.dumps({
        "choose": _("Choose your key file and enter its password."),
        "opening": _("Opening the key…"),
        "badKey": _("The key file could not be opened: wrong password, or not a PKCS#12 key file."),
        "noSigningKey": _("There is no RSA signing key in this file. Choose the signing key file (RSA256…), not the authentication key (AUTH…)."),
        "signing": _("Signing…"),
        "preparing": _("Preparing the document…"),
        "sending": _("Signed. Sending…"),
        "failed": _("Signing failed:"),
        "ncalayerWait": _("Waiting for NCALayer: choose your key in its window."),
        "ncalayerFailed": _("NCALayer did not sign:"),
        "noCrypto": _("This browser cannot sign (no Web Cryptography). Use a current browser or NCALayer."),
    }, ensure_ascii=False)


@register.simple_tag
def eds_required() -> bool:
    return _eds_required()


@register.inclusion_tag("signatures/_widget.html")
def eds_cms_widget(payload: bytes, *, legend: str = "", button: str = ""):
    """Sign `payload` (the exact bytes) as a detached CMS; the form gets eds_cms and eds_method."""
    if not payload:
        return {"hidden": True}
    try:
        pretty = json.dumps(json.loads(payload), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        pretty = payload.decode("utf-8", "replace")
    return {
        "mode": "cms",
        "payload_b64": base64.b64encode(payload).decode(),
        "payload_pretty": pretty,
        "legend": legend or _("Sign with your electronic digital signature (EDS)"),
        "button": button or _("Sign and submit"),
        "ncalayer_url": getattr(settings, "KEZEK_NCALAYER_URL", ""),
        "messages_json": _messages(),
        "required": _eds_required(),
    }


@register.inclusion_tag("signatures/_widget.html")
def eds_decision_widget(case, form, prepare_url=None):
    """The head's "sign" action: the browser signs the decision PDF prepared for it (PAdES).

    `prepare_url` answers with what to sign: by default the case decision's; other decisions pass their own."""
    from django.urls import reverse

    return {
        "mode": "pades",
        "form": form,
        "prepare_url": prepare_url or reverse("signatures:prepare_decision", args=[case.number]),
        "legend": _("Sign the decision with your electronic digital signature (EDS)"),
        "button": _("Sign the decision"),
        "ncalayer_url": getattr(settings, "KEZEK_NCALAYER_URL", ""),
        "messages_json": _messages(),
        "required": _eds_required(),
    }


@register.inclusion_tag("signatures/_case_signatures.html")
def case_signatures(case):
    return {"signatures": list(case.signatures.select_related("signer", "document"))}
