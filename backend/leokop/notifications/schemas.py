"""Data shapes of notifications: push subscription API bodies, the device list, push preferences and
the figures of one push delivery round."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta


class PushKeysIn(msgspec.Struct):
    p256dh: Annotated[str, Meta(min_length=1, max_length=200)]
    auth: Annotated[str, Meta(min_length=1, max_length=100)]


class PushSubscriptionIn(msgspec.Struct):
    """What the browser's PushSubscription.toJSON() gives (expirationTime is ignored), plus an
    optional name for the device list (else one is made from the browser's User-Agent)."""

    endpoint: Annotated[str, Meta(min_length=1, max_length=1000)]
    keys: PushKeysIn
    label: Annotated[str, Meta(max_length=120)] = ""


class PushSubscriptionOut(msgspec.Struct):
    id: int
    created: bool  # False: this device was known already and was updated


class PushKeyOut(msgspec.Struct):
    public_key: str  # applicationServerKey for pushManager.subscribe (base64url, uncompressed P-256)


class DeviceView(msgspec.Struct, frozen=True):
    """One device in the list: the endpoint is shown to its owner only, to recognise this browser."""

    id: int
    label: str
    service: str  # fcm | mozilla | apple | windows | test | other
    endpoint: str
    created_at: dt.datetime
    last_success_at: dt.datetime | None


class PushPreferences(msgspec.Struct, frozen=True):
    muted_kinds: frozenset[str] = frozenset()
    quiet_from: int = 20
    quiet_until: int = 7
    weekend_quiet: bool = True


class PushSettingsForm(msgspec.Struct):
    """The settings page: the kinds left on (checkboxes), quiet hours (Berlin time, whole hours)."""

    quiet_from: Annotated[int, Meta(ge=0, le=23)]
    quiet_until: Annotated[int, Meta(ge=0, le=23)]
    enabled: list[str] = []
    weekend_quiet: bool = False


class PushRound(msgspec.Struct):
    """What one delivery round did (for tests, logs and benchmarks)."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0  # quiet hours: waits until they end
    devices_removed: int = 0
