"""SSRF guard of push subscriptions: only https endpoints of known push services that resolve to
public addresses; the HTTP client connects nowhere else and follows no redirects."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
import pytest

from leokop.notifications import push
from leokop.settings import Settings

SETTINGS = Settings(var_dir="/nonexistent")
FCM = "https://fcm.googleapis.com/fcm/send/abc:APA91bH"


def refused(endpoint: str, settings: Settings = SETTINGS) -> str | None:
    try:
        push.check_endpoint(endpoint, settings)
    except push.EndpointRefused as error:
        return error.reason
    return None


@pytest.mark.parametrize(
    "endpoint",
    [
        FCM,
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
        "https://web.push.apple.com/QGx9Yh3k",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
        "https://fcm.googleapis.com:443/fcm/send/x",
        "https://FCM.googleapis.com/fcm/send/x",
    ],
)
def test_endpoints_of_the_known_push_services_pass(endpoint):
    assert refused(endpoint) is None


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", "scheme"),
        ("ftp://fcm.googleapis.com/x", "scheme"),
        ("https://user:pw@fcm.googleapis.com/fcm/send/x", "userinfo"),
        ("https://fcm.googleapis.com@evil.example/x", "userinfo"),
        ("https://fcm.googleapis.com:8443/fcm/send/x", "port"),
        ("https://fcm.googleapis.com:80/fcm/send/x", "port"),
        ("https://fcm.googleapis.com:99999/x", "syntax"),
        ("https://127.0.0.1/x", "ip_literal"),
        ("https://10.0.0.1/x", "ip_literal"),
        ("https://[::1]/x", "ip_literal"),
        ("https://[fd00::1]/x", "ip_literal"),
        ("https://[::ffff:127.0.0.1]/x", "ip_literal"),
        ("https://2130706433/x", "ip_literal"),
        ("https://0x7f.1/x", "ip_literal"),
        ("https://127.1/x", "ip_literal"),
        ("https://evil.example/fcm/send/x", "unknown_host"),
        ("https://fcm.googleapis.com.evil.example/x", "unknown_host"),
        ("https://evilpush.apple.com/x", "unknown_host"),
        ("https://notify.windows.com.evil.example/x", "unknown_host"),
        ("https://localhost/x", "syntax"),
        ("https://fcm.googleapis.com./x", "syntax"),
        ("https://fcm.googleapis.com/x#frag", "syntax"),
        ("https://fcm.googleapis.com\\@evil.example/x", "syntax"),
        ("https://fcm.googleapis.com/x y", "syntax"),
        ("https://fcm.googleapis.com/\nx", "syntax"),
        ("", "syntax"),
        ("https://fcm.googleapis.com/" + "a" * 1000, "syntax"),
    ],
)
def test_everything_else_is_refused(endpoint, reason):
    assert refused(endpoint) == reason


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "198.18.0.1", "192.0.2.1",
        "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:0a00:0001::1", "2001::1", "2001:db8::1",
        "kein-ip",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address):
    assert not push.is_public_address(address)


@pytest.mark.parametrize("address", ["142.250.185.74", "17.188.128.1", "2a00:1450:4001:82b::200a", "64:ff9b::8efa:b94a", "::ffff:142.250.185.74"])
def test_public_addresses_are_public(address):
    assert push.is_public_address(address)


def _resolving(monkeypatch, answers: dict[str, list[str]]):
    async def fake(host, port):
        if host not in answers:
            raise OSError("unknown host")
        return answers[host]

    monkeypatch.setattr(push, "resolve_host", fake)


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["142.250.185.74"], None),
        (["142.250.185.74", "2a00:1450:4001:82b::200a"], None),
        (["10.0.0.5"], "private_address"),
        (["142.250.185.74", "127.0.0.1"], "private_address"),  # every address counts, not just the first
        (["2a00:1450:4001:82b::200a", "fd00::5"], "private_address"),
        (["::ffff:192.168.0.1"], "private_address"),
        (["169.254.169.254"], "private_address"),
        ([], "unresolvable"),
    ],
)
def test_the_host_must_resolve_only_to_public_addresses(monkeypatch, addresses, reason):
    _resolving(monkeypatch, {"fcm.googleapis.com": addresses})
    try:
        asyncio.run(push.validate_endpoint(FCM, SETTINGS))
        got = None
    except push.EndpointRefused as error:
        got = error.reason
    assert got == reason


def test_a_host_that_does_not_resolve_is_refused(monkeypatch):
    _resolving(monkeypatch, {})
    with pytest.raises(push.EndpointRefused) as error:
        asyncio.run(push.validate_endpoint(FCM, SETTINGS))
    assert error.value.reason == "unresolvable"


def test_the_test_prefix_allows_only_a_local_server_and_only_when_set():
    local = "http://127.0.0.1:8765/push/device-1"
    assert refused(local) == "scheme"
    configured = msgspec.structs.replace(SETTINGS, push_test_endpoint_prefix="http://127.0.0.1:8765/")
    assert refused(local, configured) is None
    assert refused("http://127.0.0.1:8766/push/device-1", configured) == "scheme"
    assert refused("http://127.0.0.1:8765/", configured) == "scheme"  # the prefix alone is no endpoint
    # A prefix that is not a loopback address is ignored: it can never open the guard to the network.
    for prefix in ("http://10.0.0.1:80/", "http://example.org/", "http://127.0.0.1:8765"):
        widened = msgspec.structs.replace(SETTINGS, push_test_endpoint_prefix=prefix)
        assert refused(prefix + "x" if prefix.endswith("/") else prefix + "/x", widened) is not None


class _Server:
    """A local HTTP server that counts requests and answers with a redirect or 201."""

    def __init__(self, status: int = 201, location: str = "") -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.requests.append(self.path)
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _device(endpoint: str) -> push.PushTarget:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import base64

    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return push.PushTarget(
        endpoint=endpoint,
        p256dh=base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        auth=base64.urlsafe_b64encode(b"0123456789abcdef").rstrip(b"=").decode(),
    )


def _sender(tmp_path, **changes) -> push.PushSender:
    settings = push.ensure_vapid_key(msgspec.structs.replace(Settings(var_dir=str(tmp_path)), **changes))
    return push.PushSender(settings)


def test_redirects_are_not_followed(tmp_path):
    target = _Server()
    redirector = _Server(status=307, location=f"{target.url}/stolen")
    try:
        sender = _sender(tmp_path, push_test_endpoint_prefix=redirector.url + "/")

        async def go():
            try:
                return await sender.send(_device(f"{redirector.url}/push/1"), b"{}", ttl=60)
            finally:
                await sender.aclose()

        result = asyncio.run(go())
        assert result.status == 307
        assert redirector.requests == ["/push/1"] and target.requests == []
    finally:
        target.close()
        redirector.close()


def test_the_client_connects_only_to_the_public_address_it_checked(tmp_path, monkeypatch):
    """Checked again at every connection (DNS may change after the subscription was checked), and
    the socket goes to the checked address, not to a second lookup of the name."""
    import httpcore

    calls = []

    class Recorder:
        async def connect_tcp(self, host, port, **kwargs):
            calls.append((host, port))
            return "stream"

    sender = _sender(tmp_path)
    backend = sender.client._transport._pool._network_backend
    assert isinstance(backend, push._GuardedBackend)  # a new httpx that drops it fails here
    backend._inner = Recorder()

    async def connect(host, port):
        try:
            return await backend.connect_tcp(host, port)
        except httpcore.ConnectError as error:
            return str(error)

    _resolving(monkeypatch, {"fcm.googleapis.com": ["142.250.185.74"]})
    assert asyncio.run(connect("fcm.googleapis.com", 443)) == "stream"
    assert calls == [("142.250.185.74", 443)]
    _resolving(monkeypatch, {"fcm.googleapis.com": ["127.0.0.1"]})
    assert "private_address" in asyncio.run(connect("fcm.googleapis.com", 443))
    _resolving(monkeypatch, {"fcm.googleapis.com": ["142.250.185.74", "::1"]})
    assert "private_address" in asyncio.run(connect("fcm.googleapis.com", 443))
    assert "refused" in asyncio.run(connect("fcm.googleapis.com", 8443))
    assert "refused" in asyncio.run(connect("evil.example", 443))
    assert "refused" in asyncio.run(connect("127.0.0.1", 443))
    assert calls == [("142.250.185.74", 443)]


def test_a_push_to_a_host_that_now_resolves_locally_is_not_sent(tmp_path, monkeypatch):
    _resolving(monkeypatch, {"fcm.googleapis.com": ["127.0.0.1"]})
    sender = _sender(tmp_path)

    async def go():
        try:
            return await sender.send(_device(FCM), b"{}", ttl=60)
        finally:
            await sender.aclose()

    assert asyncio.run(go()).status == 0  # no answer: retried later, never sent to this machine
