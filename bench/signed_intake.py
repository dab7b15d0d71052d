#!/usr/bin/env python
"""Signed intake over HTTP (issue 8 "Load" with KEZEK_REQUIRE_EDS on, as in production; bench/README.md).

The ЦОН operator's paper application the way the browser files it when EDS is required: POST the complete form
(`POST /operator/new/?iin=…`); the server validates it and answers with the page carrying the canonical payload
to sign (`data-eds-payload`, signatures/templates/signatures/_widget.html); the client signs those exact bytes
with the operator's key as static/js/eds-sign.js does (detached CMS, CAdES-BES signed attributes, SHA-256 with
RSA) and POSTs the same form again with `eds_cms` and `eds_method`; success = `302` to
`/operator/cases/<number>/`. The key is opened once per run (the browser opens the .p12 once per page, and
that cost is the client's); verifying the signature (chain, validity, CRLs, IIN) is the server's cost and is
in the figures.

The server is a second gunicorn (`queue_bench.Gunicorn`, production settings) started with
KEZEK_REQUIRE_EDS=1 and KEZEK_TRUST_DIR = this process's trust directory (the demo CA `manage.py demo_ca` /
seed_demo keeps there); the operator's key is the demo key KEZEK_TRUST_DIR/demo-keys/operator.p12.

    load_bench.child():  queue_bench.run_part(figures, "intake_signed", lambda: signed_intake.run(figures, ...))
    standalone:          LOAD_DATABASE_URL=… python bench/signed_intake.py --seconds 10 --clients 4
                         (over a database load_bench has already filled; prints the figures, merges nothing)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# the payload the page offers for signing: base64 in an HTML attribute (no character of it is HTML-escaped)
PAYLOAD_RE = re.compile(r'data-eds-payload="([A-Za-z0-9+/=]+)"')
SIGNING_METHOD = "file"  # signatures.models.SigningMethod.KEY_FILE: a .p12 opened in the browser
IIN_SERIAL = re.compile(r"^IIN(\d{12})$")


# --- the client's signer ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CmsSigner:
    """A signing key opened once; signs as eds-sign.js `buildDetachedCms` does.

    Detached SignedData v1: digestAlgorithms {sha256}, eContent absent, certificates = the signer's and the
    chain from the key file, one SignerInfo v1 (issuerAndSerialNumber, sha256, signed attributes
    content-type, signing-time (UTCTime), message-digest, signing-certificate-v2 (ESSCertIDv2: SHA-256 of the
    certificate), rsaEncryption with NULL parameters, RSASSA-PKCS1-v1_5 over the DER SET of the attributes).
    """

    private_key: rsa.RSAPrivateKey
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...] = ()

    @classmethod
    def from_p12(cls, data: bytes, password: str) -> CmsSigner:
        key, certificate, others = pkcs12.load_key_and_certificates(data, password.encode())
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise ValueError("the key file holds no RSA signing key with its certificate")
        return cls.from_key(key, certificate, others or [])

    @classmethod
    def from_key(cls, private_key, certificate, chain=()) -> CmsSigner:
        """From `cryptography` objects (a key and certificates as signatures.pki.IssuedKey holds them)."""

        def load(c):
            return asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))

        return cls(private_key=private_key, certificate=load(certificate), chain=tuple(load(c) for c in chain))

    @property
    def iin(self) -> str:
        """The holder's IIN from the subject's serialNumber (``IIN`` + 12 digits), as NCA certificates carry it."""
        match = IIN_SERIAL.match(str(self.certificate.subject.native.get("serial_number", "")).strip())
        return match.group(1) if match else ""

    def sign(self, payload: bytes, *, signing_time: datetime | None = None) -> bytes:
        """The DER of a detached CMS over exactly `payload`."""
        when = (signing_time or datetime.now(timezone.utc)).replace(microsecond=0)
        attributes = asn1_cms.CMSAttributes([
            asn1_cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            asn1_cms.CMSAttribute({"type": "signing_time", "values": [asn1_cms.Time({"utc_time": when})]}),
            asn1_cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(payload).digest()]}),
            asn1_cms.CMSAttribute({"type": "signing_certificate_v2", "values": [asn1_tsp.SigningCertificateV2({
                "certs": [asn1_tsp.ESSCertIDv2({"cert_hash": hashlib.sha256(self.certificate.dump()).digest()})],
            })]}),
        ])
        # the signature covers the attributes as a DER SET (tag 0x31); asn1crypto sorts SET OF encodings on dump
        value = self.private_key.sign(attributes.dump(), padding.PKCS1v15(), hashes.SHA256())
        sha256 = asn1_algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = asn1_cms.SignerInfo({
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier({"issuer_and_serial_number": asn1_cms.IssuerAndSerialNumber({
                "issuer": self.certificate.issuer, "serial_number": self.certificate.serial_number,
            })}),
            "digest_algorithm": sha256,
            "signed_attrs": attributes,
            "signature_algorithm": asn1_algos.SignedDigestAlgorithm({
                "algorithm": "rsassa_pkcs1v15", "parameters": asn1_core.Null(),
            }),
            "signature": value,
        })
        signed_data = asn1_cms.SignedData({
            "version": "v1",
            "digest_algorithms": [sha256],
            "encap_content_info": {"content_type": "data"},
            "certificates": [asn1_cms.CertificateChoices({"certificate": c}) for c in (self.certificate, *self.chain)],
            "signer_infos": [signer_info],
        })
        return asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()

    def sign_b64(self, payload: bytes) -> str:
        """What the browser puts in the form's `eds_cms` field."""
        return base64.b64encode(self.sign(payload)).decode()


def payload_from_page(page: str) -> bytes | None:
    """The exact bytes the page asks the operator to sign, or None if it offers nothing to sign."""
    match = PAYLOAD_RE.search(page)
    return base64.b64decode(match.group(1)) if match else None


# --- the operator's demo key and the server ----------------------------------------------------------------------

def operator_signer(user) -> tuple[CmsSigner, Path]:
    """The user's demo key (KEZEK_TRUST_DIR/demo-keys/<username>.p12, issued by `manage.py demo_ca`, which seed_demo
    runs), opened once; refused here if it was issued for another IIN than the user's in this database."""
    from signatures.demo import DEMO_PASSWORD, demo_key

    path = demo_key(user.username)
    if not path.exists():
        raise RuntimeError(f"no demo key {path}: run `manage.py demo_ca --force` over this database")
    signer = CmsSigner.from_p12(path.read_bytes(), DEMO_PASSWORD)
    if not user.iin or signer.iin != user.iin:
        raise RuntimeError(f"{path} is for IIN {signer.iin or '-'}, {user.username} here has {user.iin or 'none'}: "
                           f"run `manage.py demo_ca --force --users {user.username}` over this database")
    return signer, path


def preflight(signer: CmsSigner, iin: str) -> None:
    """One signature verified in this process against the same trust directory the server gets: a key the server
    would refuse (stale CRL, untrusted CA, another IIN) stops the run here instead of being measured as errors."""
    from signatures.cms import verify_cms
    from signatures.errors import SignatureError

    payload = json.dumps({"bench": "signed_intake preflight", "at": time.time()}).encode()
    try:
        verify_cms(signer.sign(payload), payload, expected_iin=iin)
    except SignatureError as exc:
        raise RuntimeError(f"the server would refuse the bench's signature: {exc.code}") from None


def server_verification() -> str:
    """What the server checks on every signed submission (signatures/cms.py verify_cms), with this trust store."""
    from signatures.trust import load_trust, revocation_fetch, revocation_mode

    store = load_trust()
    return (
        "detached CMS over the canonical filed payload (signed attributes' message digest, RSA signature value); "
        "certificate: nonRepudiation key usage, path to a trusted root "
        f"({len(store.roots)} root(s), {len(store.intermediates)} intermediate(s) in the trust dir), validity now, "
        f"revocation {revocation_mode()} against {len(store.crls)} CRL(s) from the trust dir"
        f"{' and the URLs in the certificates' if revocation_fetch() else ' (no fetching)'}; "
        "IIN in the certificate = the operator's IIN; the payload is rebuilt from the posted form and must equal "
        "the signed bytes; the signature is stored with the case in the acceptance transaction"
    )


@contextmanager
def signed_server(workers: int):
    """queue_bench.Gunicorn started with KEZEK_REQUIRE_EDS=1 and this process's trust directory (it copies
    os.environ when it starts; the environment is restored right after)."""
    import queue_bench
    from signatures.trust import trust_dir

    wanted = {"KEZEK_REQUIRE_EDS": "1", "KEZEK_TRUST_DIR": str(trust_dir())}
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        server = queue_bench.Gunicorn(workers=workers)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield server
    finally:
        server.stop()


# --- the measurement -------------------------------------------------------------------------------------------

def bench_signed_intake(server, figures: dict, *, seconds: float, clients: int) -> None:
    """`clients` threads file complete applications, each signed, back to back for `seconds`; then the database."""
    from accounts.models import User
    from applications.models import Application
    from audit.models import AuditEvent
    from load_bench import accepted_case, duplicate_queue_keys, log, operator_session, run_clients
    from queue_bench import ms, percentile
    from signatures.models import Signature, SignaturePurpose

    operator = User.objects.get(username="operator")
    signer, key_path = operator_signer(operator)
    preflight(signer, operator.iin)
    headers, body, iins = operator_session(server, int(seconds * 200) + 500)
    lock = threading.Lock()
    numbers: list[str] = []
    errors: dict[str, int] = {}
    times: dict[str, list[float]] = {"total": [], "form": [], "sign": [], "submit": []}

    def file_one(iin: str) -> tuple[str | None, str, dict]:
        """(case number or None, error kind, durations) of one application: form, signing, signed submission."""
        path = f"/operator/new/?iin={iin}"
        spent = {}
        t = time.perf_counter()
        status, _headers, page = server.request("POST", path, body, headers)
        spent["form"] = time.perf_counter() - t
        if status == 302:
            return None, "accepted unsigned (the server does not require EDS)", spent
        payload = payload_from_page(page) if status == 200 else None
        if payload is None:
            return None, f"form: HTTP {status}" + (" without a payload to sign" if status == 200 else ""), spent
        t = time.perf_counter()
        signed_body = body + "&" + urllib.parse.urlencode({"eds_cms": signer.sign_b64(payload),
                                                            "eds_method": SIGNING_METHOD})
        spent["sign"] = time.perf_counter() - t
        t = time.perf_counter()
        status, answer_headers, _page = server.request("POST", path, signed_body, headers)
        spent["submit"] = time.perf_counter() - t
        number = accepted_case(status, answer_headers)
        if number:
            return number, "", spent
        return None, "submit: signature refused (HTTP 200)" if status == 200 else f"submit: HTTP {status}", spent

    def file_and_record(iin: str) -> None:
        t = time.perf_counter()
        try:
            number, error, spent = file_one(iin)
        except OSError as exc:
            number, error, spent = None, exc.__class__.__name__, {}
        elapsed = time.perf_counter() - t
        with lock:
            if number:
                numbers.append(number)
                times["total"].append(elapsed)
                for part, value in spent.items():
                    times[part].append(value)
            else:
                errors[error] = errors.get(error, 0) + 1

    refused = AuditEvent.objects.filter(action="signature.refused")
    refusals_before = refused.order_by("-pk").values_list("pk", flat=True).first() or 0
    log(f"signed intake: {clients} clients for {seconds:.0f} s, key {key_path.name} (IIN {signer.iin[:4]}…)")
    wall = run_clients(file_and_record, iins, clients, seconds)

    found = set(Application.objects.filter(number__in=numbers).values_list("number", flat=True))
    stored = set(Signature.objects.filter(application__number__in=numbers, purpose=SignaturePurpose.INTAKE,
                                          certificate_iin=operator.iin).values_list("application__number", flat=True))
    refusals: dict[str, int] = {}
    for data in refused.filter(pk__gt=refusals_before).values_list("data", flat=True):
        code = (data or {}).get("code", "?")
        refusals[code] = refusals.get(code, 0) + 1
    duplicate_keys = duplicate_queue_keys()  # in the whole database, as bench_intake counts them

    def p(part: str, q: float):
        return ms(percentile(times[part], q)) if times[part] else None

    figures.update(
        intake_signed_per_second=round(len(numbers) / wall, 1),
        intake_signed_accepted=len(numbers),
        intake_signed_seconds=round(wall, 1),
        intake_signed_clients=clients,
        intake_signed_errors=sum(errors.values()),
        intake_signed_error_kinds=errors or None,
        intake_signed_refusals=refusals or None,  # signature.refused audit events of the run, by error code
        intake_signed_lost=len(set(numbers) - found),
        intake_signed_duplicate_numbers=len(numbers) - len(set(numbers)),
        intake_signed_duplicate_keys=duplicate_keys,
        intake_signed_without_signature=len(found - stored),  # accepted cases without the operator's stored signature
        intake_signed_p50_ms=p("total", 50),
        intake_signed_p95_ms=p("total", 95),
        intake_signed_form_p50_ms=p("form", 50),
        intake_signed_client_sign_p50_ms=p("sign", 50),
        intake_signed_submit_p50_ms=p("submit", 50),
        intake_signed_submit_p95_ms=p("submit", 95),
        intake_signed_server_verify=server_verification(),
        intake_signed_signer=(f"demo key {key_path.name}: RSA-{signer.private_key.key_size}, issued by "
                              f"{signer.certificate.issuer.native.get('common_name', '?')}, opened once per run"),
        intake_signed_path=("POST /operator/new/?iin=… (form → payload to sign), client signs (detached CMS, "
                            "CAdES-BES as eds-sign.js), POST again with eds_cms"),
    )
    log(f"signed intake: {figures['intake_signed_per_second']}/s, {figures['intake_signed_errors']} errors, "
        f"{figures['intake_signed_lost']} lost, {duplicate_keys} duplicate keys, "
        f"{figures['intake_signed_without_signature']} without signature")


def run(figures: dict, *, seconds: float, clients: int, workers: int) -> None:
    """Start a server that requires EDS, measure signed intake on it, stop it (for load_bench.child())."""
    with signed_server(workers) as server:
        figures["intake_signed_server"] = (f"gunicorn {workers} sync workers, production settings, "
                                           f"KEZEK_REQUIRE_EDS=1, cache {'Redis' if server.redis else 'local memory'}")
        bench_signed_intake(server, figures, seconds=seconds, clients=clients)


def main(argv: list[str]) -> dict:
    """Standalone: over a database load_bench already filled (LOAD_DATABASE_URL), print the figures."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("LOAD_INTAKE_SECONDS", "25")))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("LOAD_INTAKE_CLIENTS", "8")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("LOAD_GUNICORN_WORKERS", str(os.cpu_count() or 2))))
    args = parser.parse_args(argv)
    import load_bench
    import queue_bench

    url = load_bench.database_url()
    os.environ["DJANGO_SETTINGS_MODULE"] = "housing_queue.settings.local"  # as load_bench.main() runs its child
    os.environ.setdefault("DJANGO_DEBUG", "0")
    queue_bench.setup_django(url)
    queue_bench.database_url = load_bench.database_url  # queue_bench.Gunicorn serves this database
    from accounts.models import User

    if not User.objects.filter(username="operator").exists():
        raise SystemExit(f"{url} has no demo data: run `python bench/load_bench.py` (or --child) over it first")
    figures: dict = {}
    run(figures, seconds=args.seconds, clients=args.clients, workers=args.workers)
    return figures


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT), str(BENCH_DIR)]
    print(json.dumps(main(sys.argv[1:]), ensure_ascii=False, indent=2))
