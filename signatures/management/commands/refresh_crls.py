"""manage.py refresh_crls: download the configured certificate revocation lists into the trust directory.

Run it from cron or a systemd timer more often than the CRLs' nextUpdate (the NCA publishes its base CRL
daily and delta CRLs more often). With KEZEK_REVOCATION_MODE=require a signature is refused once the
stored CRL is out of date, so a failing download shows up as refused signatures, not silently.
"""

import hashlib
import urllib.request
from pathlib import Path

from asn1crypto import crl as asn1_crl
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from signatures.trust import der_blocks, trust_dir


class Command(BaseCommand):
    help = "Download the CRLs listed in KEZEK_CRL_URLS (or given here) into KEZEK_TRUST_DIR/crls/."

    def add_arguments(self, parser):
        parser.add_argument("urls", nargs="*", help="CRL URLs (default: KEZEK_CRL_URLS)")
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, **options):
        urls = options["urls"] or list(getattr(settings, "KEZEK_CRL_URLS", []))
        if not urls:
            raise CommandError("No CRL URLs: set KEZEK_CRL_URLS or pass them as arguments.")
        directory = trust_dir() / "crls"
        directory.mkdir(parents=True, exist_ok=True)
        failed = []
        for url in urls:
            try:
                with urllib.request.urlopen(url, timeout=options["timeout"]) as response:  # noqa: S310 (configured URLs)
                    content = response.read(64 * 1024 * 1024)
                lists = [asn1_crl.CertificateList.load(der) for der in der_blocks(content)]
                for crl in lists:
                    crl.native  # noqa: B018  (a damaged download fails here, before it replaces a good file)
            except (OSError, ValueError) as exc:
                failed.append(url)
                self.stderr.write(f"{url}: {exc}")
                continue
            name = Path(url.split("?", 1)[0]).name or hashlib.sha256(url.encode()).hexdigest()[:16]
            target = directory / (name if name.endswith((".crl", ".pem", ".der")) else name + ".crl")
            temporary = target.with_suffix(target.suffix + ".tmp")
            temporary.write_bytes(content)
            temporary.replace(target)
            next_update = lists[0]["tbs_cert_list"]["next_update"].native if lists else None
            self.stdout.write(f"{url} -> {target} (next update {next_update})")
        if failed:
            raise CommandError(f"{len(failed)} CRL download(s) failed")
