"""Web push transport: the VAPID key pair, which endpoints may ever be contacted (SSRF guard), the
payload shape, and the PushSender that encrypts one message for one device (`webpush` package) and
delivers it (httpx)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
import ipaddress
import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpcore
import httpx
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from webpush import WebPush, WebPushSubscription
from webpush.vapid import VAPID

from leokop.settings import Settings

# The push services of the browsers people use: Chrome, Edge's Chromium, Samsung, Opera and Brave use
# FCM; Firefox uses Mozilla autopush; Safari (macOS, iOS home-screen apps) Apple; legacy Edge WNS.
KNOWN_PUSH_HOSTS = frozenset({"fcm.googleapis.com", "push.services.mozilla.com", "push.apple.com"})
KNOWN_PUSH_SUFFIXES = (".push.services.mozilla.com", ".push.apple.com", ".notify.windows.com")
_HOST_SYNTAX = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# NAT64 prefixes embed an IPv4 address that the gateway would connect to.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
RESOLVE_SECONDS = 3.0
SEND_TIMEOUT_SECONDS = 10.0
# A push service takes at most 4096 bytes of ciphertext: 86 bytes of header and 17 of padding and tag
# leave ~3,990 for the JSON. Staying well below keeps room for what a later field adds.
MAX_PAYLOAD_BYTES = 3000
VAPID_TOKEN_SECONDS = 12 * 60 * 60  # push services refuse tokens valid for more than 24 h
PRIVATE_KEY_FILE = "vapid_private_key.pem"


# --- VAPID keys ------------------------------------------------------------------------------------


def load_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key from PEM, or from the raw base64url private value that web-push tools print."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(raw) != 32:
            raise ValueError("LEOKOP_VAPID_PRIVATE_KEY: expected PEM or 32 bytes base64url")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("LEOKOP_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key")
    return key


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def ensure_vapid_key(settings: Settings) -> Settings:
    """Settings with a VAPID private key: the configured one, or one generated once into var_dir.

    An existing key file is never replaced, not even when it cannot be read: a new key would silently
    orphan every device's subscription (they are bound to the public key)."""
    if settings.vapid_private_key:
        return settings
    path = Path(settings.var_dir) / PRIVATE_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        try:  # O_EXCL: two workers starting at once must agree on one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(_pem(ec.generate_private_key(ec.SECP256R1())))
    text = path.read_text()
    if not text.strip():  # a worker that lost the O_EXCL race may read before the winner wrote
        for _ in range(50):
            time.sleep(0.02)
            text = path.read_text()
            if text.strip():
                break
    load_private_key(text)  # fail loudly on a damaged file instead of generating a new key
    return msgspec.structs.replace(settings, vapid_private_key=text)


def application_server_key(settings: Settings) -> str:
    """The public key as the browser's pushManager.subscribe wants it (base64url, uncompressed point)."""
    public = load_private_key(settings.vapid_private_key).public_key()
    return VAPID.get_application_server_key(public)


def key_problems(settings: Settings) -> list[str]:
    """German hints for `leokop check` about the key pair (never rotated silently)."""
    path = Path(settings.var_dir) / PRIVATE_KEY_FILE
    found: list[str] = []
    if settings.vapid_private_key and path.exists():
        try:
            stored = load_private_key(path.read_text()).private_numbers().private_value
            configured = load_private_key(settings.vapid_private_key).private_numbers().private_value
        except ValueError as error:
            return [f"VAPID-Schlüssel ist nicht lesbar: {error}"]
        if stored != configured:
            found.append(
                f"LEOKOP_VAPID_PRIVATE_KEY unterscheidet sich von {path}: Geräte, die mit dem anderen "
                "Schlüssel angemeldet wurden, erhalten keine Benachrichtigungen mehr."
            )
    domain = settings.vapid_subject.rpartition("@")[2].lower()  # unset: settings.problems() says so
    if not domain:
        return found
    if domain in ("localhost",) or domain.endswith((".local", ".localhost", ".invalid", ".test", ".example")) or _is_ip_literal(domain):
        found.append(
            f"LEOKOP_VAPID_SUBJECT ({settings.effective_vapid_subject}) ist keine erreichbare Adresse: "
            "Apples Push-Dienst lehnt solche Absender ab (403 BadJwtToken)."
        )
    return found


# --- which endpoints may be contacted ----------------------------------------------------------------


class EndpointRefused(ValueError):
    """A subscription endpoint that leokop will not send to; `reason` says why (for logs and tests)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:  # the old forms a resolver still accepts: 127.1, 0x7f.1, 2130706433
        socket.inet_aton(host)
        return True
    except OSError:
        return False


def is_known_push_host(host: str) -> bool:
    return host in KNOWN_PUSH_HOSTS or host.endswith(KNOWN_PUSH_SUFFIXES)


def is_public_address(address: str) -> bool:
    """Whether a resolved address is on the public internet (never our own network or machine)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.teredo is not None or ip.is_site_local:
            return False
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if any(ip in net for net in _NAT64):  # DNS64 on an IPv6-only network: judge the IPv4 inside
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None and not is_public_address(str(ip.sixtofour)):
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def _test_target(settings: Settings) -> tuple[str, int, str] | None:
    """(host, port, prefix) of the test-only fake push service, if one is configured on loopback."""
    prefix = settings.push_test_endpoint_prefix
    if not prefix:
        return None
    parts = urlsplit(prefix)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not loopback or not prefix.endswith("/"):
        return None  # only ever a local test server: never widen access to anything else
    return parts.hostname, port, prefix


def check_endpoint(endpoint: str, settings: Settings) -> tuple[str, int]:
    """Everything that can be checked without the network; returns (host, port) to resolve."""
    if not endpoint or len(endpoint) > 1000 or any(c.isspace() or ord(c) < 32 or c in "\\^`{}|<>\"" for c in endpoint):
        raise EndpointRefused("syntax")
    test = _test_target(settings)
    if test is not None and endpoint.startswith(test[2]) and len(endpoint) > len(test[2]):
        return test[0], test[1]
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise EndpointRefused("syntax") from None
    if parts.scheme != "https":
        raise EndpointRefused("scheme")
    if "@" in parts.netloc:
        raise EndpointRefused("userinfo")
    host = parts.hostname or ""
    if not host or parts.fragment:
        raise EndpointRefused("syntax")
    if _is_ip_literal(host):
        raise EndpointRefused("ip_literal")
    if port not in (None, 443):
        raise EndpointRefused("port")
    if not _HOST_SYNTAX.match(host):
        raise EndpointRefused("syntax")
    if not is_known_push_host(host):
        raise EndpointRefused("unknown_host")
    return host, 443


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the host resolves to (tests replace this)."""
    infos = await asyncio.wait_for(
        asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=RESOLVE_SECONDS
    )
    return [info[4][0] for info in infos]


async def _public_addresses(host: str, port: int) -> list[str]:
    try:
        addresses = await resolve_host(host, port)
    except (OSError, asyncio.TimeoutError):
        raise EndpointRefused("unresolvable") from None
    if not addresses:
        raise EndpointRefused("unresolvable")
    if not all(is_public_address(address) for address in addresses):
        raise EndpointRefused("private_address")
    return addresses


async def validate_endpoint(endpoint: str, settings: Settings) -> None:
    """Raise EndpointRefused unless the endpoint is https on a known push service that resolves only
    to public addresses (or the explicitly configured local test service)."""
    host, port = check_endpoint(endpoint, settings)
    test = _test_target(settings)
    if test is not None and (host, port) == test[:2]:
        return
    await _public_addresses(host, port)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to known push hosts, and only to the public address it has just checked: the
    check at subscription time cannot be outrun by DNS that changes later (rebinding)."""

    def __init__(self, settings: Settings) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._settings = settings

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        test = _test_target(self._settings)
        if test is not None and (host, port) == test[:2]:
            address = host
        else:
            if port != 443 or not is_known_push_host(host):
                raise httpcore.ConnectError(f"refused to connect to {host}:{port}")
            try:
                address = (await _public_addresses(host, port))[0]
            except EndpointRefused as refused:
                raise httpcore.ConnectError(f"refused to connect to {host}: {refused.reason}") from None
        # TLS still verifies the certificate for `host` (httpcore passes it as server_hostname).
        return await self._inner.connect_tcp(
            address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("no unix sockets for push")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, settings: Settings) -> None:
        super().__init__(trust_env=False)
        # httpx 0.28 offers no way to hand its pool a network backend: build the pool it would build,
        # with the guard (tests/unit/test_push_endpoints.py fails if a new httpx bypasses it).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(settings),
        )


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The client for push services: guarded connections, no redirects, no proxies from the environment."""
    return httpx.AsyncClient(
        transport=_GuardedTransport(settings),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(SEND_TIMEOUT_SECONDS),
    )


# --- payload -------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def build_payload(base_url: str, title: str, body: str, url: str, tag: str) -> bytes:
    """Declarative web push (Safari 18.4+ shows it without the service worker; the service worker
    shows the same fields on other browsers): a short German title/body and where a tap leads."""
    path = url if url.startswith("/") and not url.startswith("//") else "/notifications"
    title, body = _CONTROL.sub(" ", title).strip(), _CONTROL.sub(" ", body).strip()
    while True:
        notification = {"title": title, "navigate": base_url.rstrip("/") + path, "lang": "de", "dir": "ltr", "tag": tag}
        if body:
            notification["body"] = body
        data = msgspec.json.encode({"web_push": 8030, "notification": notification})
        if len(data) <= MAX_PAYLOAD_BYTES:
            return data
        if body:
            body = body[: len(body) // 2].rstrip() + "…" if len(body) > 8 else ""
        elif len(title) > 8:
            title = title[: len(title) // 2].rstrip() + "…"
        else:
            raise ValueError("push payload too large")


# --- sending ---------------------------------------------------------------------------------------------


class PushTarget(msgspec.Struct, frozen=True):
    """One device as the browser described it (PushSubscription.toJSON())."""

    endpoint: str
    p256dh: str
    auth: str


class DeliveryResult(msgspec.Struct, frozen=True):
    """The push service's answer: status 0 means none (network problem, refused connection)."""

    status: int
    retry_after: float | None = None  # seconds, from a Retry-After header


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """Retry-After as seconds or an HTTP date; None if absent or nonsense."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


class _Origin:
    """What webpush's VAPID reads from an endpoint (`scheme`, `host`), with the port kept: the
    package drops it, and the token's audience must be the endpoint's origin."""

    def __init__(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        self.scheme = parts.scheme
        default = {"https": 443, "http": 80}.get(parts.scheme)
        self.host = parts.hostname if parts.port in (None, default) else f"{parts.hostname}:{parts.port}"


class PushSender:
    """Encrypts with the `webpush` package and posts with httpx. One WebPush instance per TTL, built
    once: the package's per-call ttl/subscriber arguments change the instance for later calls, and a
    TTL of 0 (its default) makes push services drop messages for phones that are offline."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        key = load_private_key(settings.vapid_private_key)
        self._private_pem = _pem(key).encode()
        self._public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._vapid = VAPID(private_key=self._private_pem, public_key=self._public_pem)
        # The package writes "mailto:" + subscriber itself.
        self._subscriber = settings.effective_vapid_subject.removeprefix("mailto:")
        self._encoders: dict[int, WebPush] = {}
        self._settings = settings
        self._client = client
        self.public_key = VAPID.get_application_server_key(key.public_key())

    def _encoder(self, ttl: int) -> WebPush:
        if ttl not in self._encoders:
            self._encoders[ttl] = WebPush(
                private_key=self._private_pem,
                public_key=self._public_pem,
                subscriber=self._subscriber,
                ttl=ttl,
                expiration=VAPID_TOKEN_SECONDS,
            )
        return self._encoders[ttl]

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:  # created on first use: on the event loop that sends
            self._client = http_client(self._settings)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def encrypt(self, target: PushTarget, payload: bytes, *, ttl: int) -> tuple[bytes, dict[str, str]]:
        """The encrypted body and the headers webpush made (TTL, Content-Encoding, Authorization)."""
        if ttl <= 0:
            raise ValueError("a push needs a TTL > 0")
        subscription = WebPushSubscription(endpoint=target.endpoint, keys={"p256dh": target.p256dh, "auth": target.auth})
        message = self._encoder(ttl).get(payload, subscription)
        headers = dict(message.headers)
        origin = _Origin(target.endpoint)
        if origin.host != urlsplit(target.endpoint).hostname:
            headers["authorization"] = self._vapid.get_authorization_header(
                endpoint=origin, subscriber=self._subscriber, expiration=VAPID_TOKEN_SECONDS
            )
        if headers["ttl"] != str(ttl):  # the package's sticky ttl must never leak into a message
            raise RuntimeError("webpush used another TTL than asked for")
        return message.encrypted, headers

    async def send(
        self, target: PushTarget, payload: bytes, *, ttl: int, topic: str | None = None, now: dt.datetime | None = None
    ) -> DeliveryResult:
        try:
            check_endpoint(target.endpoint, self._settings)
        except EndpointRefused:
            return DeliveryResult(status=400)  # stored before a rule changed: never contacted
        body, headers = self.encrypt(target, payload, ttl=ttl)
        headers.update({"content-type": "application/octet-stream", "urgency": "normal"})
        if topic:
            headers["topic"] = topic  # a newer message of the same topic replaces an undelivered one
        try:
            response = await self.client.post(target.endpoint, content=body, headers=headers)
        except httpx.HTTPError:
            return DeliveryResult(status=0)
        await response.aclose()
        return DeliveryResult(
            status=response.status_code,
            retry_after=retry_after_seconds(response.headers.get("retry-after"), now or dt.datetime.now(dt.timezone.utc)),
        )
