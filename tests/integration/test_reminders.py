"""Reminders and digests against the database with a controllable clock: who gets which, never twice."""

from __future__ import annotations

import datetime as dt

from leokop.accounts.tables import User
from leokop.logbook.tables import Week
from leokop.notifications.reminders import write_due_reminders
from leokop.notifications.tables import Notification
from tests.helpers import APPRENTICE, TEACHER, TRAINER
from tests.integration.test_signing import write_and_submit

UTC = dt.timezone.utc
FRIDAY_AFTERNOON = dt.datetime(2026, 11, 27, 13, 30, tzinfo=UTC)  # 14:30 in Berlin
THURSDAY = dt.datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
MONDAY_MORNING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 9:00 in Berlin
THIS_MONDAY = dt.date(2026, 11, 23)


def kinds_for(run, email: str) -> list[tuple[str, str]]:
    rows = run(Notification.select(Notification.kind, Notification.title).where(Notification.user.email == email).order_by(Notification.id))
    return [(r["kind"], r["title"]) for r in rows]


def test_the_friday_reminder_reaches_who_has_not_submitted_and_only_once(client, run):
    run(write_due_reminders, THURSDAY)  # trainers' digests, but no Friday reminder
    assert run(Notification.count().where(Notification.kind == "friday_reminder")) == 0
    write_and_submit(run, monday=THIS_MONDAY)  # Finn submitted this week already
    run(write_due_reminders, FRIDAY_AFTERNOON)
    first = run(Notification.count().where(Notification.kind == "friday_reminder"))
    assert first >= 3  # Mia, Noah, Lena, … (every running contract but Finn's)
    assert ("friday_reminder", "KW 48: Wochennachweis noch nicht eingereicht") in kinds_for(run, "mia.yilmaz@rmm.example")
    assert [k for k, _ in kinds_for(run, APPRENTICE) if k == "friday_reminder"] == []
    # Every few minutes, after a restart, in a second worker: nothing new.
    assert run(write_due_reminders, FRIDAY_AFTERNOON + dt.timedelta(minutes=10)) == 0
    assert run(Notification.count().where(Notification.kind == "friday_reminder")) == first
    spread = run(Notification.select(Notification.push_not_before).where(Notification.kind == "friday_reminder"))
    assert all(FRIDAY_AFTERNOON <= r["push_not_before"] <= FRIDAY_AFTERNOON + dt.timedelta(minutes=5) for r in spread)


def test_trainers_get_one_digest_a_working_day(client, run):
    write_and_submit(run)
    run(write_due_reminders, MONDAY_MORNING)
    digests = [t for k, t in kinds_for(run, TRAINER) if k == "review_digest"]
    assert digests == ["1 Woche wartet auf Ihre Abzeichnung"]
    run(write_due_reminders, MONDAY_MORNING + dt.timedelta(hours=3))
    assert len([k for k, _ in kinds_for(run, TRAINER) if k == "review_digest"]) == 1
    run(write_due_reminders, MONDAY_MORNING + dt.timedelta(days=1))
    assert len([k for k, _ in kinds_for(run, TRAINER) if k == "review_digest"]) == 2
    run(write_due_reminders, MONDAY_MORNING + dt.timedelta(days=6))  # Sunday: no digest
    assert len([k for k, _ in kinds_for(run, TRAINER) if k == "review_digest"]) == 2


def test_teachers_get_a_digest_of_new_weeks_of_consenting_apprentices(client, run):
    finn = write_and_submit(run)
    run(Week.update({Week.submitted_at: MONDAY_MORNING - dt.timedelta(hours=2)}).where(Week.contract == finn))
    mia = write_and_submit(run, "mia.yilmaz@rmm.example")  # in the class, but did not agree
    run(Week.update({Week.submitted_at: MONDAY_MORNING - dt.timedelta(hours=2)}).where(Week.contract == mia))
    run(write_due_reminders, MONDAY_MORNING)
    assert [t for k, t in kinds_for(run, TEACHER) if k == "class_digest"] == ["1 neu eingereichte Woche in Ihren Klassen"]
    other_teacher = run(User.select(User.id).where(User.email == "julia.krueger@bs-main.example").first)["id"]
    assert run(Notification.count().where(Notification.user == other_teacher)) == 0


def test_the_scheduler_loop_writes_what_is_due_and_stops(client, run, monkeypatch):
    import asyncio

    from leokop.notifications import reminders

    monkeypatch.setattr(reminders, "utcnow", lambda: FRIDAY_AFTERNOON)

    async def one_round():
        stop = asyncio.Event()
        loop = asyncio.create_task(reminders.run_reminder_loop(stop, interval_seconds=0.05))
        await asyncio.sleep(0.3)
        stop.set()
        await loop

    run(one_round)
    assert run(Notification.count().where(Notification.kind == "friday_reminder")) >= 3


def test_a_reminder_wave_larger_than_one_statement_takes_is_written_whole_and_once(client, run):
    """A state-wide wave: more rows than one INSERT can bind on PostgreSQL (asyncpg: 32,767
    arguments, 9 a row); each notification once, also when the wave is written again."""
    from leokop.notifications.service import Notice, notify_many

    finn = run(User.select(User.id).where(User.email == APPRENTICE).first())["id"]
    wave = [Notice(finn, "friday_reminder", f"Erinnerung {n}", "/log", dedupe_key=f"wave:{n}") for n in range(4000)]
    assert len(run(notify_many, wave)) == 4000
    assert len(run(notify_many, wave[3990:] + [Notice(finn, "friday_reminder", "neu", "/log", dedupe_key="wave:new")])) == 1
    assert run(Notification.count().where(Notification.dedupe_key.like("wave:%"))) == 4001
