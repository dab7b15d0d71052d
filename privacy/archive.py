"""Packing an export into a ZIP: data.json, README.txt and the stored files, streamed through a temporary file."""

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder

from .selectors import PersonalData


@dataclass
class Archive:
    file: object  # an open temporary file positioned at 0; the response closes it
    sha256: str
    size: int
    files: int
    missing: list[str]


def write_archive(bundle: PersonalData, readme: str) -> Archive:
    """Never holds a scan in memory whole: each stored file is copied into the ZIP in chunks."""
    tmp = tempfile.TemporaryFile()
    missing: list[str] = []
    written = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        for item in bundle.files:
            try:
                source = default_storage.open(item.storage_name, "rb")
            except (FileNotFoundError, OSError):
                missing.append(item.arcname)
                continue
            with source, archive.open(item.arcname, "w") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            written += 1
        data = {**bundle.data, "files_missing": missing}
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
    digest = hashlib.sha256()
    tmp.seek(0)
    for chunk in iter(lambda: tmp.read(1024 * 1024), b""):
        digest.update(chunk)
    size = tmp.tell()
    tmp.seek(0)
    return Archive(file=tmp, sha256=digest.hexdigest(), size=size, files=written, missing=missing)
