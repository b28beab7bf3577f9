"""Push rules without a database: quiet hours (Berlin), the payload shape and size, the VAPID key pair
(generated once, never replaced), the token's claims, TTL never taken from the package's defaults."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from leokop.notifications import push
from leokop.notifications.schemas import PushPreferences
from leokop.notifications.service import device_label, push_service_of, quiet_end
from leokop.settings import Settings, load_settings, problems
from leokop.timeutil import BERLIN

DEFAULT = PushPreferences()


def berlin(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), BERLIN)


# 2026-11-23 is a Monday; 2026-11-27 a Friday.
@pytest.mark.parametrize(
    ("moment", "kind", "expected"),
    [
        (berlin("2026-11-24", 10), "week_returned", None),  # Tuesday morning: now
        (berlin("2026-11-24", 19, 59), "week_returned", None),
        (berlin("2026-11-24", 20), "week_returned", berlin("2026-11-25", 7)),
        (berlin("2026-11-24", 23, 30), "week_approved", berlin("2026-11-25", 7)),
        (berlin("2026-11-25", 3), "week_approved", berlin("2026-11-25", 7)),
        (berlin("2026-11-25", 7), "week_approved", None),
        (berlin("2026-11-27", 21), "review_digest", berlin("2026-11-30", 7)),  # Friday night → Monday 7:00
        (berlin("2026-11-28", 12), "week_returned", berlin("2026-11-30", 7)),  # Saturday noon → Monday
        (berlin("2026-11-29", 23), "week_returned", berlin("2026-11-30", 7)),
        (berlin("2026-11-27", 14), "friday_reminder", None),
        (berlin("2026-11-28", 10), "friday_reminder", None),  # the weekend does not hold the Friday reminder
        (berlin("2026-11-27", 21), "friday_reminder", berlin("2026-11-28", 7)),  # the night does
    ],
)
def test_default_quiet_hours_are_20_to_7_and_the_weekend(moment, kind, expected):
    assert quiet_end(moment, kind, DEFAULT) == (expected.astimezone(dt.timezone.utc) if expected else None)


def test_own_quiet_hours_within_a_day_none_and_weekends_allowed():
    lunch = PushPreferences(quiet_from=12, quiet_until=14, weekend_quiet=False)
    assert quiet_end(berlin("2026-11-24", 12, 30), "week_returned", lunch) == berlin("2026-11-24", 14)
    assert quiet_end(berlin("2026-11-24", 22), "week_returned", lunch) is None
    assert quiet_end(berlin("2026-11-28", 12, 30), "week_returned", lunch) == berlin("2026-11-28", 14)
    never = PushPreferences(quiet_from=0, quiet_until=0, weekend_quiet=False)
    assert quiet_end(berlin("2026-11-28", 3), "week_returned", never) is None


def test_quiet_hours_follow_berlin_summer_and_winter_time():
    # 2026-03-29: clocks go forward; 7:00 is 05:00 UTC after, 06:00 UTC before.
    assert quiet_end(berlin("2026-03-26", 22), "week_returned", DEFAULT) == dt.datetime(2026, 3, 27, 6, tzinfo=dt.timezone.utc)
    assert quiet_end(berlin("2026-03-30", 22), "week_returned", DEFAULT) == dt.datetime(2026, 3, 31, 5, tzinfo=dt.timezone.utc)
    # Given in UTC, judged in Berlin: 19:30 UTC in winter is 20:30 in Berlin.
    assert quiet_end(dt.datetime(2026, 11, 24, 19, 30, tzinfo=dt.timezone.utc), "week_returned", DEFAULT) is not None


def test_payload_is_declarative_web_push_in_german_and_small():
    data = push.build_payload("https://leokop.example", "KW 47 wurde zurückgegeben", "", "/contracts/3/log/2026-11-16", "week_returned-9")
    assert json.loads(data) == {
        "web_push": 8030,
        "notification": {
            "title": "KW 47 wurde zurückgegeben",
            "navigate": "https://leokop.example/contracts/3/log/2026-11-16",
            "lang": "de",
            "dir": "ltr",
            "tag": "week_returned-9",
        },
    }
    # Longest title and body the table holds, in the widest UTF-8: still under the limit.
    big = push.build_payload("https://leokop.example", "𝔄" * 200, "\x01" * 300, "/" + "x" * 299, "t")
    assert len(big) <= push.MAX_PAYLOAD_BYTES < 3990
    assert "\\u0001" not in big.decode()
    # A target that is not a path of this site never becomes the click target.
    assert json.loads(push.build_payload("https://a.example", "t", "", "https://evil.example/", "t"))["notification"]["navigate"] == "https://a.example/notifications"
    assert json.loads(push.build_payload("https://a.example", "t", "", "//evil.example/", "t"))["notification"]["navigate"] == "https://a.example/notifications"


def test_the_vapid_key_is_generated_once_and_never_replaced(tmp_path):
    settings = Settings(var_dir=str(tmp_path))
    first = push.ensure_vapid_key(settings)
    path = tmp_path / push.PRIVATE_KEY_FILE
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert push.ensure_vapid_key(settings).vapid_private_key == first.vapid_private_key
    public = push.application_server_key(first)
    raw = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert len(raw) == 65 and raw[0] == 4 and "=" not in public
    path.write_text("kaputt")
    with pytest.raises(ValueError):
        push.ensure_vapid_key(settings)  # a damaged key is an error, not a reason for a new one
    assert path.read_text() == "kaputt"


def test_a_key_from_the_environment_wins_and_a_different_file_is_reported(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    raw = base64.urlsafe_b64encode(key.private_numbers().private_value.to_bytes(32, "big")).rstrip(b"=").decode()
    settings = load_settings({"LEOKOP_VAR_DIR": str(tmp_path), "LEOKOP_VAPID_PRIVATE_KEY": raw, "LEOKOP_VAPID_SUBJECT": "mailto:betrieb@leokop.de"})
    assert push.ensure_vapid_key(settings).vapid_private_key == raw
    assert not (tmp_path / push.PRIVATE_KEY_FILE).exists()
    assert push.application_server_key(settings) == push.application_server_key(
        msgspec.structs.replace(settings, vapid_private_key=push._pem(key))
    )
    assert push.key_problems(settings) == []
    push.ensure_vapid_key(Settings(var_dir=str(tmp_path)))  # an older generated key lies around
    assert any("unterscheidet sich" in text for text in push.key_problems(settings))


def test_the_vapid_subject_is_configurable_and_checked():
    with pytest.raises(msgspec.ValidationError, match="LEOKOP_VAPID_SUBJECT"):
        load_settings({"LEOKOP_VAPID_SUBJECT": "https://leokop.example"})  # the package only writes mailto:
    assert Settings(base_url="https://nachweis.schule.de").effective_vapid_subject == "mailto:admin@nachweis.schule.de"
    assert any("LEOKOP_VAPID_SUBJECT" in text for text in problems(Settings()))
    assert not any("LEOKOP_VAPID_SUBJECT" in text for text in problems(Settings(vapid_subject="mailto:it@schule.de")))
    for subject in ("mailto:it@localhost", "mailto:it@leokop.local", "mailto:it@127.0.0.1", "mailto:it@schule.invalid"):
        assert any("BadJwtToken" in text for text in push.key_problems(Settings(var_dir="/nonexistent", vapid_subject=subject)))
    assert push.key_problems(Settings(var_dir="/nonexistent", vapid_subject="mailto:it@schule.de")) == []


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _target(endpoint: str) -> push.PushTarget:
    from cryptography.hazmat.primitives import serialization

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return push.PushTarget(endpoint=endpoint, p256dh=b64(point), auth=b64(os.urandom(16)))


def test_each_message_carries_its_own_ttl_and_a_token_for_the_push_service(tmp_path):
    settings = push.ensure_vapid_key(Settings(var_dir=str(tmp_path), vapid_subject="mailto:it@schule.de"))
    sender = push.PushSender(settings)
    fcm = _target("https://fcm.googleapis.com/fcm/send/abc")
    # The package keeps a per-call ttl for later calls and defaults to 0: each TTL is asked for anew.
    for ttl in (86400, 43200, 86400):
        _, headers = sender.encrypt(fcm, b"{}", ttl=ttl)
        assert headers["ttl"] == str(ttl)
        assert headers["content-encoding"] == "aes128gcm"
    with pytest.raises(ValueError):
        sender.encrypt(fcm, b"{}", ttl=0)
    claims = _claims(headers["authorization"].split("t=", 1)[1].split(",", 1)[0])
    assert claims["aud"] == "https://fcm.googleapis.com"
    assert claims["sub"] == "mailto:it@schule.de"
    assert 0 < claims["exp"] - dt.datetime.now(dt.timezone.utc).timestamp() <= 24 * 3600
    # The package drops a port from the audience; the audience is the endpoint's origin.
    _, headers = sender.encrypt(_target("http://127.0.0.1:8123/push/1"), b"{}", ttl=60)
    assert _claims(headers["authorization"].split("t=", 1)[1].split(",", 1)[0])["aud"] == "http://127.0.0.1:8123"


def test_retry_after_is_read_as_seconds_or_a_date():
    now = dt.datetime(2026, 11, 24, 10, tzinfo=dt.timezone.utc)
    assert push.retry_after_seconds("120", now) == 120
    assert push.retry_after_seconds("Tue, 24 Nov 2026 10:05:00 GMT", now) == 300
    assert push.retry_after_seconds("Tue, 24 Nov 2026 09:00:00 GMT", now) == 0
    assert push.retry_after_seconds("bald", now) is None
    assert push.retry_after_seconds(None, now) is None


def test_devices_get_a_readable_name_and_their_push_service():
    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1"
    edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"
    assert device_label(android) == "Chrome auf Android"
    assert device_label(iphone) == "Safari auf iPhone"
    assert device_label(edge) == "Edge auf Windows"
    assert device_label("") == "Unbekanntes Gerät"
    assert push_service_of("https://web.push.apple.com/x") == "apple"
    assert push_service_of("https://updates.push.services.mozilla.com/x") == "mozilla"
    assert push_service_of("https://fcm.googleapis.com/x") == "fcm"
