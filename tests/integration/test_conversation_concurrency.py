"""Two first messages at the same moment against a real server with two worker processes: the
conversation is created once (the unique index on contract and kind turns the second insert into an
update), both messages are kept, in SQLite and PostgreSQL alike."""

from __future__ import annotations

from tests.helpers import APPRENTICE_2, TEACHER, TRAINER
from tests.integration.test_signing_concurrency import _at_once, _post, _signed_in
from tests.live_server import live_leokop


def test_two_first_messages_at_once_make_one_conversation():
    with live_leokop(workers=2) as base_url:
        trainer, teacher, mia = (_signed_in(base_url, e) for e in (TRAINER, TEACHER, APPRENTICE_2))
        contract = int(mia.get("/log").headers["location"].split("/")[2])  # /contracts/{id}/log/…
        path = f"/api/v1/contracts/{contract}/messages"
        for kind in ("staff", "with_apprentice"):  # Mia has no conversation yet in the demo
            first, second = _at_once(
                _post(trainer, path, {"kind": kind, "body": "Vom Betrieb"}), _post(teacher, path, {"kind": kind, "body": "Von der Schule"})
            )
            assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
            assert first.json()["conversation_id"] == second.json()["conversation_id"]
            messages = teacher.get(f"/api/v1/conversations/{first.json()['conversation_id']}/messages").json()
            assert sorted(m["body"] for m in messages) == ["Vom Betrieb", "Von der Schule"]
        assert len(teacher.get("/api/v1/conversations").json()) == 4  # Mia's two, and Finn's two from the demo
