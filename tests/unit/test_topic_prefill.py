"""The merge rules of lesson-topic prefills (lesson_topics.prefill), with plain values: never
overwrite the apprentice, untouched prefills follow the teacher, deleted stays deleted, signed and
submitted weeks are left alone, weekly logs, school days, the 24-hour day."""

from __future__ import annotations

import datetime as dt

import pytest

from leokop.lesson_topics.prefill import Decision, Log, LogEntry, Prefill, Topic, entry_text, plan, school_day_for, subject_prefix

MONDAY = dt.date(2026, 6, 8)
TUESDAY, THURSDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=3)
SCHOOL_DAYS = {TUESDAY, THURSDAY}
LF5 = "LF 5 Software zur Verwaltung von Daten anpassen"


def log(**changes) -> Log:
    values = {"contract_id": 1, "log_mode": "daily", "first_day": MONDAY, "last_day": MONDAY + dt.timedelta(days=6), "week_state": "draft"}
    return Log(**{**values, **changes})


def topic(**changes) -> Topic:
    values = {"id": 7, "subject": LF5, "text": "Daten mit SQL abfragen", "minutes": 270, "day": None}
    return Topic(**{**values, **changes})


def decide(the_log: Log, the_topic: Topic, prefill: Prefill | None = None, entries=(), school_days=SCHOOL_DAYS) -> Decision:
    [decision] = plan(the_log, [the_topic], school_days, {the_topic.id: prefill} if prefill else {}, entries)
    return decision


def test_subject_prefix_is_the_learning_field_number_or_the_subject():
    assert subject_prefix(LF5) == "LF 5"
    assert subject_prefix("LF 12a Kundenspezifische Anwendungsentwicklung durchführen") == "LF 12a"
    assert subject_prefix("Politik und Wirtschaft") == "Politik und Wirtschaft"
    assert entry_text(LF5, "  Joins ") == "LF 5: Joins"


def test_a_weekly_topic_goes_to_the_first_school_day_and_a_day_topic_to_its_day():
    assert decide(log(), topic()) == Decision(7, "create", day=TUESDAY, text="LF 5: Daten mit SQL abfragen", minutes=270)
    assert decide(log(), topic(day=THURSDAY)).day == THURSDAY


def test_a_day_the_apprentice_recorded_otherwise_is_no_school_day_for_them():
    sick_tuesday = log(statuses={TUESDAY: "sick"})
    assert decide(sick_tuesday, topic()).day == THURSDAY  # the week's topic moves to the next school day
    assert decide(sick_tuesday, topic(day=TUESDAY)) == Decision(7, "none", "no_day")
    assert decide(log(statuses={TUESDAY: "school"}), topic()).day == TUESDAY


def test_days_outside_the_contract_get_nothing():
    started_wednesday = log(first_day=MONDAY + dt.timedelta(days=2))
    assert decide(started_wednesday, topic()).day == THURSDAY
    assert decide(started_wednesday, topic(day=TUESDAY)).reason == "no_day"
    assert decide(log(), topic(), school_days=set()).reason == "no_day"


def test_a_weekly_log_gets_the_entry_without_a_day():
    decision = decide(log(log_mode="weekly"), topic(day=THURSDAY))
    assert (decision.action, decision.day) == ("create", None)


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_submitted_and_approved_weeks_are_never_touched(state):
    assert decide(log(week_state=state), topic()) == Decision(7, "none", "locked")
    untouched = Prefill(entry_id=5, entry_version=1, current_version=1)
    assert decide(log(week_state=state), topic(text="neu"), untouched, [LogEntry(5, TUESDAY, "LF 5: alt", 270)]).reason == "locked"
    assert decide(log(week_state=state), topic(deleted=True), untouched, [LogEntry(5, TUESDAY, "LF 5: alt", 270)]).action == "none"


@pytest.mark.parametrize("state", [None, "draft", "returned"])
def test_missing_draft_and_returned_weeks_are_prefilled(state):
    assert decide(log(week_state=state), topic()).action == "create"


def test_never_a_second_entry_where_the_apprentice_wrote_the_same_text():
    own = LogEntry(3, TUESDAY, "lf 5:  Daten mit SQL abfragen", 180)
    assert decide(log(), topic(), entries=[own]) == Decision(7, "claim", "same_text")
    # The same text on another day is no reason to hold back.
    assert decide(log(), topic(), entries=[LogEntry(3, THURSDAY, own.text, 180)]).action == "create"


def test_an_untouched_prefill_follows_the_change():
    untouched = Prefill(entry_id=5, entry_version=2, current_version=2)
    old = LogEntry(5, TUESDAY, "LF 5: Daten mit SQL abfragen", 270)
    changed = decide(log(), topic(text="Joins und Gruppen", minutes=240), untouched, [old])
    assert changed == Decision(7, "update", day=TUESDAY, text="LF 5: Joins und Gruppen", minutes=240, entry_id=5)
    assert decide(log(), topic(day=THURSDAY), untouched, [old]).day == THURSDAY  # moved with the topic
    assert decide(log(), topic(), untouched, [old]) == Decision(7, "none", "unchanged", entry_id=5)


def test_an_entry_the_apprentice_changed_is_theirs():
    edited = Prefill(entry_id=5, entry_version=1, current_version=2)
    entries = [LogEntry(5, TUESDAY, "LF 5: mein eigener Text", 270)]
    assert decide(log(), topic(text="neu"), edited, entries) == Decision(7, "none", "edited")
    assert decide(log(), topic(deleted=True), edited, entries) == Decision(7, "none", "edited")


def test_a_deleted_entry_stays_deleted():
    deleted = Prefill(entry_id=None, entry_version=1)
    assert decide(log(), topic(text="neu"), deleted) == Decision(7, "none", "deleted")
    assert decide(log(), topic(day=THURSDAY), deleted) == Decision(7, "none", "deleted")


def test_deleting_a_topic_removes_only_its_untouched_entry():
    untouched = Prefill(entry_id=5, entry_version=1, current_version=1)
    assert decide(log(), topic(deleted=True), untouched, [LogEntry(5, TUESDAY, "x", 270)]) == Decision(7, "remove", entry_id=5)
    assert decide(log(), topic(deleted=True)) == Decision(7, "none", "no_day")  # never prefilled: nothing to take back


def test_a_change_that_leaves_no_school_day_takes_the_untouched_entry_back():
    untouched = Prefill(entry_id=5, entry_version=1, current_version=1)
    entries = [LogEntry(5, TUESDAY, "LF 5: x", 270)]
    assert decide(log(statuses={THURSDAY: "vacation"}), topic(day=THURSDAY), untouched, entries) == Decision(7, "remove", "no_day", entry_id=5)


def test_a_day_never_holds_more_than_24_hours():
    full = [LogEntry(1, TUESDAY, "Betrieb", 12 * 60), LogEntry(2, TUESDAY, "Betrieb", 9 * 60)]
    assert decide(log(), topic(minutes=3 * 60), entries=full).action == "create"  # exactly 24 h
    assert decide(log(), topic(minutes=3 * 60 + 1), entries=full) == Decision(7, "none", "over_limit")
    # An update counts the day without the entry's own old minutes.
    untouched = Prefill(entry_id=5, entry_version=1, current_version=1)
    entries = [*full, LogEntry(5, TUESDAY, "LF 5: Daten mit SQL abfragen", 3 * 60)]
    assert decide(log(), topic(minutes=3 * 60, text="neu"), untouched, entries).action == "update"
    assert decide(log(), topic(minutes=4 * 60), untouched, entries).reason == "over_limit"
    # Weekly logs have no days: no day limit.
    assert decide(log(log_mode="weekly"), topic(minutes=12 * 60), entries=[LogEntry(1, None, "x", 12 * 60)] * 2).action == "create"


def test_topics_of_one_publish_add_up_on_a_day():
    first, second = topic(id=1, minutes=12 * 60), topic(id=2, text="Normalisierung", minutes=12 * 60 + 1)
    decisions = plan(log(), [first, second], SCHOOL_DAYS, {}, [])
    assert [d.action for d in decisions] == ["create", "none"]
    assert decisions[1].reason == "over_limit"
    # Two topics with the same text: the second finds the first's entry and adds nothing.
    twice = plan(log(), [topic(id=1), topic(id=2)], SCHOOL_DAYS, {}, [])
    assert [d.action for d in twice] == ["create", "claim"]


def test_school_day_for_prefers_the_topics_own_day():
    assert school_day_for(topic(day=MONDAY), log(), SCHOOL_DAYS) == MONDAY
    assert school_day_for(topic(), log(), []) is None
