"""The client's address, read one way everywhere: lookup rate limits, the login lockout (axes), audit records.

Behind no proxy (KEZEK_TRUSTED_PROXIES = 0, the default and docker-compose's case) it is REMOTE_ADDR and an
X-Forwarded-For header is ignored: anyone can send one, so trusting it would let a client pick a fresh address
for every request and never hit a limit. Behind N reverse proxies that each append the address they received
the request from, the N right-most X-Forwarded-For entries were written by our proxies; the N-th from the right
is the client as our outermost proxy saw it. Entries further left came from the client and are never used.
"""

import ipaddress

from django.conf import settings


def _address(value: str) -> str | None:
    """A normalised IP address, or None; tolerates "1.2.3.4:5678" and "[2001:db8::1]:443" forms some proxies use."""
    value = value.strip()
    candidates = [value]
    if value.startswith("[") and "]" in value:
        candidates.append(value[1:value.index("]")])
    elif value.count(":") == 1:
        candidates.append(value.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def trusted_proxies() -> int:
    try:
        return max(int(getattr(settings, "KEZEK_TRUSTED_PROXIES", 0) or 0), 0)
    except (TypeError, ValueError):
        return 0


def client_ip(request) -> str | None:
    """The client's IP address as a string, or None when the request carries no usable one."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    proxies = trusted_proxies()
    if proxies == 0:
        return remote
    hops = [hop for hop in (request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    if len(hops) < proxies:  # the request did not pass through all our proxies: nothing in the header is ours
        return remote
    return _address(hops[-proxies]) or remote
