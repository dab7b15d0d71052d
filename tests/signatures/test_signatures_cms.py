"""The server's verdict on a detached CMS signature: one clear, distinct message per reason to refuse."""

import base64
import datetime as dt

import pytest
from django.utils import translation

from signatures import errors
from signatures.cms import certificate_info, verify_cms
from signatures.trust import load_trust
from tests.signatures.pki_support import CITIZEN_IIN, asn1_certificate, sign_cms

PAYLOAD = '{"applicant":{"iin":"900215300126","surname":"Серікбаев"},"category":"LARGE_FAMILY"}'.encode()

# reason -> (key that signs, bytes that are verified, expected error)
REFUSALS = {
    "tampered payload": ("valid", PAYLOAD.replace(b"LARGE_FAMILY", b"ORPHAN"), errors.TamperedContent),
    "expired certificate": ("expired", PAYLOAD, errors.CertificateExpired),
    "not-yet-valid certificate": ("not_yet_valid", PAYLOAD, errors.CertificateNotYetValid),
    "revoked certificate (CRL)": ("revoked", PAYLOAD, errors.CertificateRevoked),
    "untrusted CA": ("untrusted", PAYLOAD, errors.UntrustedCertificate),
    "IIN mismatch": ("other_iin", PAYLOAD, errors.IinMismatch),
    "wrong key usage (no nonRepudiation)": ("auth_only", PAYLOAD, errors.WrongKeyUsage),
}


def test_valid_signature_is_accepted(trust):
    cms = sign_cms(trust.keys["valid"], PAYLOAD)
    verified = verify_cms(cms, PAYLOAD, expected_iin=CITIZEN_IIN)
    assert verified.signer.iin == CITIZEN_IIN
    assert verified.signer.common_name == "СЕРІКБАЕВ ЕРЛАН"
    assert CITIZEN_IIN not in verified.signer.subject  # the subject shown to people carries no IIN
    assert verified.signer.serial_hex == format(trust.keys["valid"].certificate.serial_number, "X")
    assert len(verified.signer.sha256) == 64
    assert verified.revocation == "require" and verified.digest_algorithm == "sha256"
    assert verified.claimed_signing_time is not None


@pytest.mark.parametrize("reason", list(REFUSALS))
def test_each_failure_is_refused_with_its_own_error(trust, reason):
    key, content, error = REFUSALS[reason]
    cms = sign_cms(trust.keys[key], PAYLOAD)
    with pytest.raises(error) as caught:
        verify_cms(cms, content, expected_iin=CITIZEN_IIN)
    assert type(caught.value) is error
    assert caught.value.certificate is not None  # the refusal can be audited with the certificate's serial


def test_the_messages_are_distinct_and_translated(trust):
    def messages(language):
        found = {}
        with translation.override(language):
            for reason, (key, content, _error) in REFUSALS.items():
                try:
                    verify_cms(sign_cms(trust.keys[key], PAYLOAD), content, expected_iin=CITIZEN_IIN)
                except errors.SignatureError as exc:
                    found[reason] = str(exc.user_message)
        return found

    english = messages("en")
    assert len(set(english.values())) == len(REFUSALS), english
    assert "revoked" in english["revoked certificate (CRL)"] and "expired" in english["expired certificate"]
    for language in ("kk", "ru"):
        translated = messages(language)
        assert len(set(translated.values())) == len(REFUSALS)
        assert all(translated[r] != english[r] for r in REFUSALS), (language, translated)


def test_expired_message_names_the_end_of_validity(trust):
    key = trust.keys["expired"]
    with translation.override("en"), pytest.raises(errors.CertificateExpired) as caught:
        verify_cms(sign_cms(key, PAYLOAD), PAYLOAD, expected_iin=CITIZEN_IIN)
    assert "valid until" in str(caught.value.user_message)


def test_revoked_after_the_signing_moment_was_still_good_then(trust):
    """Re-checking an old signature: the CRL says revoked 10 minutes ago, the signature is older."""
    cms = sign_cms(trust.keys["revoked"], PAYLOAD)
    then = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    verify_cms(cms, PAYLOAD, expected_iin=CITIZEN_IIN, moment=then)
    with pytest.raises(errors.CertificateRevoked):
        verify_cms(cms, PAYLOAD, expected_iin=CITIZEN_IIN)


def test_a_signature_value_that_does_not_match_is_refused(trust):
    cms = bytearray(sign_cms(trust.keys["valid"], PAYLOAD))
    signature_at = bytes(cms).rfind(bytes([0x04, 0x82, 0x01, 0x00]))  # the 256-byte RSA signature OCTET STRING
    assert signature_at > 0
    cms[signature_at + 10] ^= 0xFF
    with pytest.raises(errors.InvalidSignatureValue):
        verify_cms(bytes(cms), PAYLOAD, expected_iin=CITIZEN_IIN)


def test_garbage_is_not_a_signature(trust):
    for garbage in (b"", b"not a cms", base64.b64encode(b"x" * 50)):
        with pytest.raises(errors.MalformedSignature):
            verify_cms(garbage, PAYLOAD, expected_iin=CITIZEN_IIN)


def test_without_a_revocation_list_require_mode_refuses_and_soft_fail_accepts(trust, settings, tmp_path):
    directory = trust.write_trust_dir(tmp_path / "no-crl")
    for crl in (directory / "crls").iterdir():
        crl.unlink()
    settings.KEZEK_TRUST_DIR = directory
    cms = sign_cms(trust.keys["valid"], PAYLOAD)
    with pytest.raises(errors.RevocationUnknown):
        verify_cms(cms, PAYLOAD, expected_iin=CITIZEN_IIN)
    settings.KEZEK_REVOCATION_MODE = "soft-fail"
    assert verify_cms(cms, PAYLOAD, expected_iin=CITIZEN_IIN).revocation == "soft-fail"


def test_an_empty_trust_directory_trusts_nobody(trust, settings, tmp_path):
    settings.KEZEK_TRUST_DIR = tmp_path / "empty"
    with pytest.raises(errors.UntrustedCertificate):
        verify_cms(sign_cms(trust.keys["valid"], PAYLOAD), PAYLOAD, expected_iin=CITIZEN_IIN)


def test_trust_store_reads_the_configured_directory(trust, settings):
    store = load_trust()
    assert [c.subject.native["common_name"] for c in store.roots] == ["TEST ROOT CA"]
    assert [c.subject.native["common_name"] for c in store.intermediates] == ["TEST ҰКО (RSA)"]
    assert {crl["revoked"] for crl in store.crl_summary()} == {0, 1}


def test_certificate_info_reads_the_nca_subject(trust):
    info = certificate_info(asn1_certificate(trust.keys["head"]))
    assert info.iin == "820226395650" and info.bin == "990140000016"
    assert info.organization == "Алматы қаласының тұрғын үй басқармасы"
    assert info.issuer == "TEST ҰКО (RSA)"
    assert {"digital_signature", "non_repudiation"} <= info.key_usage
