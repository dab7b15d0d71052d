"""One exception per reason a signature is refused, each with its own translated message.

They are ServiceErrors, so every view that already shows a service's refusal shows these too.
`code` is stable (audit log, JSON answers, tests); the message is for people.
"""

from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy as _

from applications.services.errors import ServiceError


def _when(moment) -> str:
    if moment is None:
        return "—"
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


class SignatureError(ServiceError):
    code = "invalid"
    message = _("The electronic signature could not be verified.")

    def __init__(self, message=None, *, certificate=None, **details):
        super().__init__(message, **details)
        self.certificate = certificate  # asn1crypto certificate, when one could be read (for the audit log)


class SignatureMissing(SignatureError):
    code = "missing"
    message = _("An electronic digital signature (EDS) is required: sign with your EDS key through NCALayer or a key file.")


class MalformedSignature(SignatureError):
    code = "malformed"
    message = _("The signature could not be read: it is not a CMS (PKCS#7) signature made with one certificate.")


class TamperedContent(SignatureError):
    code = "tampered"
    message = _("The signature does not match the signed data: the data were changed after they were signed.")


class InvalidSignatureValue(SignatureError):
    code = "bad_value"
    message = _("The signature value is wrong: it was not made with the key of the certificate it carries.")


class UntrustedCertificate(SignatureError):
    code = "untrusted"
    message = _("The certificate was not issued by a trusted certification authority.")


class CertificateExpired(SignatureError):
    code = "expired"

    def __init__(self, valid_until=None, **kwargs):
        super().__init__(
            gettext("The certificate had expired when the signature was made (it was valid until %(date)s).")
            % {"date": _when(valid_until)},
            **kwargs,
        )


class CertificateNotYetValid(SignatureError):
    code = "not_yet_valid"

    def __init__(self, valid_from=None, **kwargs):
        super().__init__(
            gettext("The certificate was not yet valid when the signature was made (it is valid from %(date)s).")
            % {"date": _when(valid_from)},
            **kwargs,
        )


class CertificateRevoked(SignatureError):
    code = "revoked"

    def __init__(self, revoked_at=None, **kwargs):
        super().__init__(
            gettext("The certificate was revoked on %(date)s (it is on the certification authority's revocation list).")
            % {"date": _when(revoked_at)},
            **kwargs,
        )


class RevocationUnknown(SignatureError):
    code = "revocation_unknown"
    message = _("Whether the certificate is revoked could not be checked (no current revocation list). Please try again later.")


class WrongKeyUsage(SignatureError):
    code = "key_usage"
    message = _("This key cannot sign documents: its certificate does not allow non-repudiation. Use your signing key (RSA or GOST), not the authentication key (AUTH).")


class NoIinInCertificate(SignatureError):
    code = "no_iin"
    message = _("The certificate carries no IIN, so it cannot be matched to a person.")


class IinMismatch(SignatureError):
    code = "iin_mismatch"
    message = _("The certificate belongs to another person: its IIN differs from the IIN of the person who must sign.")


class SignerWithoutIin(SignatureError):
    code = "signer_without_iin"
    message = _("Your account has no IIN on record, so your certificate cannot be matched to you. Ask the administrator to add it.")


class StaleSigningSession(SignatureError):
    code = "stale"
    message = _("The document changed while you were signing it (for example, the queue number moved). Please sign it again.")


class SigningSessionExpired(SignatureError):
    code = "session_expired"
    message = _("The signing session has expired or was already used. Please sign again.")
