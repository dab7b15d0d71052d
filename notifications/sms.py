"""SMS gateway adapter. The simulator records messages instead of sending them (see README)."""

import uuid
from functools import lru_cache
from typing import Protocol

from django.conf import settings


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Returns the gateway's message reference."""


class SimulatedSmsGateway:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> str:
        self.sent.append((phone, text))
        return f"SIM-{uuid.uuid4().hex[:12]}"


@lru_cache(maxsize=1)
def get_sms_gateway() -> SmsGateway:
    if settings.KEZEK_SMS_BACKEND == "simulator":
        return SimulatedSmsGateway()
    raise RuntimeError(f"no SMS gateway configured for {settings.KEZEK_SMS_BACKEND!r}")
