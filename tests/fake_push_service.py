"""A fake web push service for tests: an HTTP server on 127.0.0.1 that records every message and
answers per device as a test scripts it; and a fake device (its own P-256 key pair and auth secret)
that decrypts what arrived with an independent implementation (http_ece) and checks the VAPID token."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

DROP = 0  # an "answer" that closes the connection without a response


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Received:
    device: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float


class FakePushService:
    """Answers 201 unless told otherwise: `answer("phone", 429, (503, {"Retry-After": "60"}), 201)`
    makes the next three messages to device "phone" get these answers (then 201 again)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._scripts: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                device = self.path.rsplit("/", 1)[-1]
                with service._lock:
                    service.received.append(
                        Received(device, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                    )
                    script = service._scripts.get(device) or []
                    status, headers = script.pop(0) if script else (201, {})
                if status == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.prefix = self.origin + "/"  # LEOKOP_PUSH_TEST_ENDPOINT_PREFIX
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def endpoint(self, device: str) -> str:
        return f"{self.prefix}push/{device}"

    def answer(self, device: str, *answers: int | tuple[int, dict[str, str]]) -> None:
        with self._lock:
            self._scripts[device] = [a if isinstance(a, tuple) else (a, {}) for a in answers]

    def to(self, device: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.device == device]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeDevice:
    """A browser's push subscription: what it sends to the server, and how it reads a message."""

    def __init__(self, service: FakePushService, name: str) -> None:
        self.name = name
        self.endpoint = service.endpoint(name)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self, label: str = "") -> dict:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        body = {"endpoint": self.endpoint, "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}
        if label:
            body["label"] = label
        return body

    def decrypt(self, message: Received) -> dict:
        plain = http_ece.decrypt(message.body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


def vapid_claims(authorization: str, public_key: str) -> dict:
    """Check `vapid t=<JWT>, k=<key>`: ES256 signature by `public_key`; returns the claims."""
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "vapid", authorization
    params = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert params["k"] == public_key
    header, payload, signature = params["t"].split(".")
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    assert len(raw) == 64
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    try:
        key.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            f"{header}.{payload}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        raise AssertionError("VAPID token not signed by the server's key") from None
    return json.loads(unb64url(payload))
