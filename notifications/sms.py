"""SMS gateway adapter. The simulator records messages instead of sending them (see README).

Every send carries an idempotency key (the client message id real gateways accept): a worker that dies after
the gateway took the message but before our transaction committed sends it again on redelivery, and the
gateway answers with the first reference instead of texting the person twice.
"""

import fcntl
import json
import os
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        """Returns the gateway's message reference; the same key returns the same reference and sends nothing."""


class SimulatedSmsGateway:
    """In memory by default; with a log file it behaves like an external system shared by every process.

    The log (settings.KEZEK_SMS_SIMULATOR_LOG) holds one JSON line per request, written under an exclusive
    file lock: {"status": "sent", ...} for a message that went out, {"status": "duplicate", ...} for a repeated
    key answered with the earlier reference. `delay` (KEZEK_SMS_SIMULATOR_DELAY) is the gateway's answer
    latency after it has accepted the message: the window in which a crash leaves a sent SMS unrecorded.
    """

    def __init__(self, log_path: str | os.PathLike | None = None, delay: float = 0.0):
        self.sent: list[tuple[str, str]] = []
        self._references: dict[str, str] = {}
        self.log_path = Path(log_path) if log_path else None
        self.delay = delay

    def send(self, phone: str, text: str, idempotency_key: str) -> str:
        if self.log_path is None:
            reference = self._references.get(idempotency_key)
            if reference is None:
                reference = self._references[idempotency_key] = f"SIM-{uuid.uuid4().hex[:12]}"
                self.sent.append((phone, text))
        else:
            reference = self._send_logged(phone, text, idempotency_key)
        if self.delay:
            time.sleep(self.delay)
        return reference

    def _send_logged(self, phone: str, text: str, key: str) -> str:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a+", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # released when the file closes
            log.seek(0)
            content = log.read()
            earlier = next((line for line in map(_parse, content.splitlines()) if line and line.get("status") == "sent"
                            and line.get("key") == key), None)
            status = "duplicate" if earlier else "sent"
            reference = earlier["reference"] if earlier else f"SIM-{uuid.uuid4().hex[:12]}"
            record = {"status": status, "key": key, "reference": reference, "phone": phone, "text": text,
                      "at": timezone.now().isoformat(), "pid": os.getpid()}
            torn = "\n" if content and not content.endswith("\n") else ""  # a crash mid-line earlier
            log.write(torn + json.dumps(record, ensure_ascii=False) + "\n")
            log.flush()
            os.fsync(log.fileno())
        if not earlier:
            self.sent.append((phone, text))
        return reference


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except ValueError:
        return None  # a line torn by a crash mid-write is not a send


def read_simulator_log(path) -> list[dict]:
    """The simulator's records (tests and the fault runs read them)."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as log:
        return [record for record in map(_parse, log) if record]


@lru_cache(maxsize=1)
def get_sms_gateway() -> SmsGateway:
    if settings.KEZEK_SMS_BACKEND == "simulator":
        return SimulatedSmsGateway(settings.KEZEK_SMS_SIMULATOR_LOG or None, settings.KEZEK_SMS_SIMULATOR_DELAY)
    raise RuntimeError(f"no SMS gateway configured for {settings.KEZEK_SMS_BACKEND!r}")
