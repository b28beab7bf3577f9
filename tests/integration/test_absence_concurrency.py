"""Concurrent requests on absences against a real server with two worker processes: a record made
twice at once is stored once, and a company's answer racing a teacher's decision never loses one
silently – exactly one wins, the other gets 409, the history agrees with the state."""

from __future__ import annotations

import datetime as dt

from leokop.timeutil import today_berlin
from tests.helpers import APPRENTICE, CSRF_COOKIE, SCHOOL_ADMIN, TEACHER, TRAINER
from tests.integration.test_signing_concurrency import _at_once, _post, _signed_in
from tests.live_server import live_leokop


def test_concurrent_records_and_decisions_are_safe():
    with live_leokop(workers=2) as base_url:
        teacher, office, trainer, apprentice = (_signed_in(base_url, e) for e in (TEACHER, SCHOOL_ADMIN, TRAINER, APPRENTICE))
        contract = int(apprentice.get("/log").headers["location"].split("/")[2])  # /contracts/{id}/log/…
        absences = f"/api/v1/contracts/{contract}/absences"
        day = (today_berlin() - dt.timedelta(days=today_berlin().weekday() + 4)).isoformat()  # last week's Thursday

        # The class teacher and the school office record the same lessons at the same moment: one is stored.
        body = {"date": day, "whole_day": False, "first_lesson": 3, "last_lesson": 4}
        first, second = _at_once(_post(teacher, absences, body), _post(office, absences, body))
        assert sorted((first.status_code, second.status_code)) == [201, 422], (first.text, second.text)
        assert [a["date"] for a in teacher.get(absences).json()["absences"]].count(day) == 1
        created = (first if first.status_code == 201 else second).json()

        # The company asks for an excuse while the teacher decides "unentschuldigt", both on version 1.
        url = f"/api/v1/absences/{created['id']}"
        ask, decide = _at_once(
            _post(trainer, url + "/respond", {"version": 1, "reason": "sick", "request_excuse": True}),
            _post(teacher, url + "/decide", {"version": 1, "decision": "unexcused"}),
        )
        assert sorted((ask.status_code, decide.status_code)) == [200, 409], (ask.text, decide.text)
        now = teacher.get(url).json()
        assert now["version"] == 2
        assert [h["action"] for h in now["history"]] == ["recorded", "excuse_requested" if ask.status_code == 200 else "unexcused"]
        assert now["status"] == ("excuse_requested" if ask.status_code == 200 else "unexcused")

        # Two tabs of the teacher decide a fresh absence both ways on version 1: one decision, one 409.
        other = teacher.post(absences, json={"date": day, "whole_day": False, "first_lesson": 5, "last_lesson": 5}, headers={"X-CSRFToken": teacher.cookies[CSRF_COOKIE]})
        assert other.status_code == 201, other.text
        url = f"/api/v1/absences/{other.json()['id']}"
        one, two = _at_once(
            _post(teacher, url + "/decide", {"version": 1, "decision": "excused"}),
            _post(teacher, url + "/decide", {"version": 1, "decision": "unexcused"}),
        )
        assert sorted((one.status_code, two.status_code)) == [200, 409], (one.text, two.text)
        final = teacher.get(url).json()
        winner = "excused" if one.status_code == 200 else "unexcused"
        assert (final["status"], final["version"], [h["action"] for h in final["history"]]) == (winner, 2, ["recorded", winner])
