"""Races on PostgreSQL: a signed decision is issued once, a signed application makes one case and one signature."""

import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.db import connection

from applications.models import Application, Decision
from applications.services import drafts, review
from applications.services.errors import ServiceError
from signatures.models import Signature
from signatures.services import decision_signing_from_post, prepare_decision_signing
from tests.signatures.flows import case_awaiting_signature, complete_draft
from tests.signatures.pki_support import HEAD_IIN, certificates_b64, sign_cms_b64
from tests.concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL concurrency; CI runs it with DATABASE_URL"),
]


def test_the_same_signed_decision_sent_twice_at_once_is_issued_once(trust, department, users):
    head = users["head"]
    head.iin = HEAD_IIN
    head.save(update_fields=["iin"])
    case = case_awaiting_signature(department, users)
    session = prepare_decision_signing(case, head, certificates_b64(trust.keys["head"]))
    value = trust.keys["head"].private_key.sign(bytes(session.signed_attrs), padding.PKCS1v15(), hashes.SHA256())

    def complete():
        signing = decision_signing_from_post(head, case, session_id=str(session.pk),
                                             signature_value=base64.b64encode(value).decode())
        return review.sign_decision(case, head, signing=signing)

    results = race([complete, complete])
    signed = [r for r in results if isinstance(r, Decision)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert Signature.objects.count() == 1 and case.issued_documents.filter(kind="notification").count() == 1


def test_a_signed_application_submitted_twice_at_once_makes_one_case(trust, department, users):
    citizen = users["citizen"]
    draft = complete_draft(department, citizen)
    payload = drafts.payload_to_sign(draft, citizen, "kk")
    cms = sign_cms_b64(trust.keys["valid"], payload)
    version = draft.data["version"]
    results = race([lambda: drafts.submit_draft(draft, citizen, "kk", version, cms=cms) for _ in range(2)])
    cases = {r.pk for r in results if isinstance(r, Application)}
    assert len(cases) == 1, results
    assert Application.objects.count() == 1 and Signature.objects.count() == 1
