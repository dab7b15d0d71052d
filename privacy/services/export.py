"""The citizen's download of everything held about them (Law No. 94-V art. 24: the subject's right of access)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.access import has_ability
from audit.services import record_event

from ..archive import Archive, write_archive
from ..selectors import personal_data


def export_personal_data(user, *, language: str, ip_address: str | None = None) -> Archive:
    """Build the ZIP for the user themself and log the download (who, when, from where, the archive's SHA-256)."""
    if not has_ability(user, "export_own_data"):
        raise PermissionDenied
    now = timezone.now()
    with translation.override(language):
        bundle = personal_data(user, now=now)
        bundle.data["language"] = language
        readme = render_to_string("privacy/README.txt", {"generated_at": now, "user": user, "person": bundle.person})
    archive = write_archive(bundle, readme)
    with transaction.atomic():
        record_event(
            actor=user, action="privacy.data_exported", obj=bundle.person or user, ip_address=ip_address,
            data={"sha256": archive.sha256, "size": archive.size, "applications": len(bundle.data["applications"]),
                  "files": archive.files, "files_missing": len(archive.missing), "language": language},
        )
    return archive
