"""Concurrent requests against a real server with two worker processes: double submit, double approve
and approve-while-returning never produce two signatures, a lost state change or an error."""

from __future__ import annotations

import datetime as dt
import threading

import httpx

from leokop.demo import DEMO_PASSWORD
from leokop.logbook import calendar
from leokop.timeutil import today_berlin
from tests.helpers import APPRENTICE, CSRF_COOKIE, INSTRUCTOR, TRAINER
from tests.live_server import live_leokop


def _signed_in(base_url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "_csrf_token": client.cookies[CSRF_COOKIE]})
    assert response.status_code == 303, response.text
    return client


def _at_once(*calls):
    """Run the calls in threads released by one barrier, so their requests overlap; returns responses."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _post(client: httpx.Client, url: str, body: dict | None = None):
    return lambda: client.post(url, json=body or {}, headers={"X-CSRFToken": client.cookies[CSRF_COOKIE]})


def test_concurrent_submit_approve_and_return_are_safe():
    with live_leokop(workers=2) as base_url:
        trainer, instructor, apprentice = (_signed_in(base_url, e) for e in (TRAINER, INSTRUCTOR, APPRENTICE))
        contract = int(apprentice.get("/log").headers["location"].split("/")[2])  # /contracts/{id}/log/…
        this_monday = calendar.monday_of(today_berlin())
        week = lambda weeks_back: f"/api/v1/contracts/{contract}/weeks/{(this_monday - dt.timedelta(days=7 * weeks_back)).isoformat()}"

        # Double approve (two reviewers tap at the same moment): one signature, both told "approved".
        first, second = _at_once(_post(trainer, week(1) + "/approve"), _post(instructor, week(1) + "/approve"))
        assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
        review = trainer.get(week(1) + "/review").json()
        assert [s["kind"] for s in review["signatures"]] == ["approval"] and review["integrity"] == "ok"

        # Approve while another reviewer returns: exactly one wins, the other gets 409, the state agrees.
        approve, give_back = _at_once(_post(trainer, week(2) + "/approve"), _post(instructor, week(2) + "/return", {"reason": "Bitte ergänzen"}))
        assert sorted((approve.status_code, give_back.status_code)) == [200, 409], (approve.text, give_back.text)
        review = trainer.get(week(2) + "/review").json()
        state = trainer.get(week(2)).json()["state"]
        approvals = [s for s in review["signatures"] if s["kind"] == "approval"]
        assert (state, len(approvals)) in (("approved", 1), ("returned", 0)) and review["integrity"] in ("ok", "unsigned")

        # Double submit of the returned demo week: one new "submitted" in the history, no error.
        one, two = _at_once(_post(apprentice, week(3) + "/submit"), _post(apprentice, week(3) + "/submit"))
        assert (one.status_code, two.status_code) == (200, 200), (one.text, two.text)
        history = [h["action"] for h in apprentice.get(week(3) + "/review").json()["history"]]
        assert history == ["week.submitted", "week.returned", "week.submitted"]
