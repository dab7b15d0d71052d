"""The client's address behind (or not behind) a reverse proxy: core/client_ip.py, used by the lookup rate limit and
the login lockout (AXES_CLIENT_IP_CALLABLE).

With KEZEK_TRUSTED_PROXIES = 0 an X-Forwarded-For header is the client's own words: rotating it must not buy fresh
attempts. With 1 trusted proxy the right-most hop (the one our proxy appended) is the client.
"""

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from core.client_ip import client_ip
from tests.reliability_figures import tally_figures

LOOKUP = "/queue/lookup/"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _request(remote="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_forwarded_header_is_ignored(settings):
    settings.KEZEK_TRUSTED_PROXIES = 0
    assert client_ip(_request()) == "198.51.100.7"
    assert client_ip(_request(forwarded="203.0.113.9")) == "198.51.100.7"
    assert client_ip(_request(forwarded="203.0.113.9, 192.0.2.1")) == "198.51.100.7"
    assert client_ip(_request(remote="not an address")) is None


@pytest.mark.parametrize(("forwarded", "expected"), [
    ("203.0.113.9", "203.0.113.9"),
    ("1.1.1.1, 203.0.113.9", "203.0.113.9"),            # whatever the client wrote is to the left: ignored
    ("1.1.1.1,2.2.2.2 ,  203.0.113.9 ", "203.0.113.9"),
    ("203.0.113.9:51234", "203.0.113.9"),                # proxies that append the port
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("2001:DB8:0::1", "2001:db8::1"),                    # normalised, so one client is one key
    ("", "198.51.100.7"),                                 # not through the proxy: the peer address
    ("garbage", "198.51.100.7"),
])
def test_with_one_proxy_the_right_most_hop_is_the_client(settings, forwarded, expected):
    settings.KEZEK_TRUSTED_PROXIES = 1
    assert client_ip(_request(forwarded=forwarded)) == expected


def test_with_two_proxies_the_second_hop_from_the_right(settings):
    settings.KEZEK_TRUSTED_PROXIES = 2
    assert client_ip(_request(forwarded="6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"
    # fewer hops than proxies: the header was not written by our proxies alone, so none of it is used
    assert client_ip(_request(forwarded="203.0.113.9")) == "198.51.100.7"


def _lookup(client, **extra):
    return client.post(LOOKUP, {"number": "X-1", "iin": "000000000000"}, **extra)


def _spoofed(response):
    """A request over the limit whose forged X-Forwarded-For tries to pass for a fresh client (docs/reliability.md)."""
    tally_figures("client_ip", add={"spoofed_requests_over_the_limit": 1,
                                    "spoofed_requests_refused": int(response.status_code == 429)})
    return response


@pytest.mark.django_db
def test_rotating_the_forwarded_header_does_not_bypass_the_lookup_limit(settings):
    settings.KEZEK_TRUSTED_PROXIES = 0
    settings.KEZEK_LOOKUP_RATE = "3/600"
    client = Client()
    for n in range(3):
        assert _lookup(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    for n in range(3, 6):
        assert _spoofed(_lookup(client, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")).status_code == 429
    assert _lookup(client, REMOTE_ADDR="198.51.100.99").status_code == 200  # a really different client is not blocked


@pytest.mark.django_db
def test_behind_one_proxy_the_limit_follows_the_real_client(settings):
    settings.KEZEK_TRUSTED_PROXIES = 1
    settings.KEZEK_LOOKUP_RATE = "3/600"
    client = Client(REMOTE_ADDR="10.0.0.1")  # every request arrives from the proxy
    for n in range(3):
        assert _lookup(client, HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.5").status_code == 200
    # the same client forging the left part of the header is still the same client
    assert _spoofed(_lookup(client, HTTP_X_FORWARDED_FOR="7.7.7.7, 203.0.113.5")).status_code == 429
    assert _lookup(client, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    # another client behind the same proxy has its own count (the proxy's address is not the key)
    assert _lookup(client, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200


@pytest.mark.django_db
def test_lookup_json_uses_the_same_address(settings):
    settings.KEZEK_TRUSTED_PROXIES = 0
    settings.KEZEK_LOOKUP_RATE = "1/600"
    client = Client()
    url = reverse("queues_public:lookup_json")
    assert client.post(url, {"number": "X-1", "iin": "000000000000"}, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 404
    assert _spoofed(client.post(url, {"number": "X-1", "iin": "000000000000"},
                                HTTP_X_FORWARDED_FOR="2.2.2.2")).status_code == 429


def _fail_logins(client, times, **extra):
    return [client.post(reverse("accounts:login"), {"username": "clerk", "password": f"wrong-{n}"}, **extra).status_code
            for n in range(times)]


@pytest.mark.django_db
def test_login_lockout_ignores_a_spoofed_forwarded_header(users, settings):
    from axes.models import AccessAttempt

    settings.KEZEK_TRUSTED_PROXIES = 0
    client = Client()
    codes = [client.post(reverse("accounts:login"), {"username": "clerk", "password": f"wrong-{n}"},
                         HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(5)]
    assert codes[-1] == 429, codes  # five failures from one address, whatever the header said
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    tally_figures("client_ip", add={"rotated_header_login_failures_counted_as_one_client":
                                    AccessAttempt.objects.get().failures_since_start})


@pytest.mark.django_db
def test_login_lockout_behind_one_proxy_is_per_real_client(users, settings):
    from axes.models import AccessAttempt

    from tests.conftest import PASSWORD

    settings.KEZEK_TRUSTED_PROXIES = 1
    client = Client(REMOTE_ADDR="10.0.0.1")
    assert _fail_logins(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.5")[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    # the locked client cannot get out by prepending a forged hop
    forged = _spoofed(client.post(reverse("accounts:login"), {"username": "clerk", "password": PASSWORD},
                                  HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"))
    assert forged.status_code == 429
    # the same account from another client behind the same proxy is not locked by that
    other = Client(REMOTE_ADDR="10.0.0.1")
    ok = other.post(reverse("accounts:login"), {"username": "clerk", "password": PASSWORD},
                    HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert ok.status_code == 302, ok.status_code
