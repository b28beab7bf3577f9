"""Rules of lesson topics: who may publish for which class, a class's topics of one week, and
publishing, changing and deleting topics together with the prefill of the apprentices' logs (K2).

Every write runs in the request's one transaction: the topic and every prefill it causes are stored
together or not at all, in a fixed number of statements whatever the size of the class."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from leokop.accounts.schemas import CurrentUser, Role
from leokop.contracts.tables import Contract
from leokop.curriculum.service import learning_fields
from leokop.errors import Conflict, NotFound, ValidationFailed
from leokop.lesson_topics import prefill
from leokop.lesson_topics.schemas import ClassWeekView, PrefillReport, SubjectOption, TopicView
from leokop.lesson_topics.tables import LessonTopic, TopicPrefill
from leokop.logbook import calendar
from leokop.logbook import service as logbook
from leokop.logbook.tables import Day, Entry, Week
from leokop.notifications.service import Notice, notify_many
from leokop.organisations.tables import ClassTeacher, SchoolClass
from leokop.school_calendar.service import class_school_days
from leokop.school_calendar.tables import PlanItem
from leokop.timeutil import parse_duration, today_berlin, utcnow

# Subjects every Berufsschule class has besides its occupation's learning fields (Hessen's names).
GENERAL_SUBJECTS = ("Deutsch", "Englisch", "Politik und Wirtschaft", "Religion/Ethik", "Sport", "Wirtschafts- und Sozialkunde")
_WEEK = dt.timedelta(days=7)


# --- scope and reading ---------------------------------------------------------------------------


async def class_in_scope(user: CurrentUser, class_id: int) -> dict:
    """The class, if the user may publish its topics: a teacher of this class, or the school admin
    of its school. Any other class is NotFound (also one the teacher's colleague teaches)."""
    if user.school_id is None or user.role not in (Role.teacher, Role.school_admin):
        raise NotFound()
    query = SchoolClass.select(
        SchoolClass.id, SchoolClass.name, SchoolClass.occupation.slug.as_alias("occupation_slug")
    ).where(SchoolClass.id == class_id, SchoolClass.school == user.school_id)
    if user.role is Role.teacher:
        query = query.where(
            SchoolClass.id.is_in(ClassTeacher.select(ClassTeacher.school_class).where(ClassTeacher.teacher == user.id))
        )
    rows = await query
    if not rows:
        raise NotFound()
    return rows[0]


def subject_options(occupation_slug: str | None) -> list[SubjectOption]:
    """The occupation's Lernfelder ("LF 5 Software zur Verwaltung von Daten anpassen"), then the
    general subjects."""
    fields = [SubjectOption(f"LF {number} {title}", "Lernfelder") for number, title in learning_fields(occupation_slug or "")]
    return fields + [SubjectOption(subject, "Fächer") for subject in GENERAL_SUBJECTS]


# Far outside any training contract there is no such week (and date arithmetic stays in range).
FIRST_MONDAY, LAST_MONDAY = dt.date(2000, 1, 3), dt.date(2099, 12, 28)
# The page offers one row per topic of last week; nobody publishes more than this at once.
MAX_TOPICS_AT_ONCE = 20


def _check_monday(monday: dt.date) -> None:
    if monday != calendar.monday_of(monday) or not FIRST_MONDAY <= monday <= LAST_MONDAY:
        raise NotFound()


_TOPIC_COLUMNS = (
    LessonTopic.id,
    LessonTopic.monday,
    LessonTopic.day,
    LessonTopic.subject,
    LessonTopic.text,
    LessonTopic.minutes,
    LessonTopic.version,
    LessonTopic.published_by.display_name.as_alias("published_by_name"),
    LessonTopic.updated_at,
)


def _view(row: dict) -> TopicView:
    return TopicView(**{**row, "published_by_name": row["published_by_name"] or ""})


def _in_order(topics: list[TopicView]) -> list[TopicView]:
    """Day by day, the week's topics (no day) first, then in the order they were published."""
    return sorted(topics, key=lambda t: (t.day or dt.date.min, t.id))


async def class_week(user: CurrentUser, class_id: int, monday: dt.date) -> ClassWeekView:
    """The topics page of a class and week, with last week's topics (to copy their subjects) and the
    class's school days, in three queries."""
    school_class = await class_in_scope(user, class_id)
    _check_monday(monday)
    previous = monday - _WEEK
    rows = await LessonTopic.select(*_TOPIC_COLUMNS).where(
        LessonTopic.school_class == class_id, LessonTopic.monday.is_in([previous, monday])
    )
    topics = [_view(r) for r in rows]
    this_monday = calendar.monday_of(today_berlin())
    return ClassWeekView(
        class_id=class_id,
        class_name=school_class["name"],
        monday=monday,
        sunday=monday + dt.timedelta(days=6),
        iso_week=monday.isocalendar()[1],
        days=[monday + dt.timedelta(days=offset) for offset in range(5)],
        school_days=sorted(await class_school_days(class_id, monday, monday + dt.timedelta(days=6))),
        may_publish=monday <= this_monday,
        previous_monday=previous,
        next_monday=monday + _WEEK if monday + _WEEK <= this_monday else None,
        topics=_in_order([t for t in topics if t.monday == monday]),
        previous_topics=_in_order([t for t in topics if t.monday == previous]),
        subjects=subject_options(school_class["occupation_slug"]),
    )


# --- checking a topic ----------------------------------------------------------------------------


def _checked_minutes(duration: str | int, errors: dict[str, str]) -> int:
    """Minutes from what was typed (the log's duration rules) or sent (API: minutes)."""
    minutes = parse_duration(duration) if isinstance(duration, str) else duration
    if minutes is None:
        errors["duration"] = "duration_invalid"
        return 0
    problem = calendar.check_entry_minutes(minutes)
    if problem:
        errors["duration"] = problem
    return minutes


def _checked(
    subject: str,
    text: str,
    duration: str | int,
    day: dt.date | None,
    monday: dt.date,
    subjects: set[str],
    school_days: set[dt.date],
) -> tuple[dict[str, str], prefill.Topic]:
    """The field errors of one topic (empty if none) and the topic as the prefill rules see it."""
    errors: dict[str, str] = {}
    if subject not in subjects:
        errors["subject"] = "invalid_choice"
    if "\x00" in text:
        errors["text"] = "invalid_characters"
    if not text.strip():
        errors["text"] = "required"
    minutes = _checked_minutes(duration, errors)
    if day is not None and not monday <= day <= monday + dt.timedelta(days=6):
        errors["day"] = "topic_day_outside_week"
    elif day is None and not school_days:
        errors["day"] = "topic_day_needed"
    return errors, prefill.Topic(id=0, subject=subject, text=text.strip(), minutes=minutes, day=day)


def _check_week(monday: dt.date) -> None:
    if monday > calendar.monday_of(today_berlin()):
        raise ValidationFailed({"week": "topics_week_in_future"})


# --- writing -------------------------------------------------------------------------------------


async def publish(
    user: CurrentUser, class_id: int, monday: dt.date, rows: list[tuple[str, str, str | int, dt.date | None]]
) -> tuple[list[TopicView], PrefillReport]:
    """Publish topics (subject, text, duration, day) for a class's week and prefill the logs. Rows
    without a text are left out when another row has one (the page offers last week's subjects as
    rows to fill in). Field errors are keyed "<field>-<row index>"; nothing is stored then."""
    school_class = await class_in_scope(user, class_id)
    _check_monday(monday)
    _check_week(monday)
    wanted = [(i, row) for i, row in enumerate(rows) if row[1].strip()] or list(enumerate(rows[:1]))
    if not wanted:
        raise ValidationFailed({"text-0": "required"})
    if len(wanted) > MAX_TOPICS_AT_ONCE:
        raise ValidationFailed({"week": "too_many_topics"}, max=MAX_TOPICS_AT_ONCE)
    school_days = await class_school_days(class_id, monday, monday + dt.timedelta(days=6))
    subjects = {option.value for option in subject_options(school_class["occupation_slug"])}
    errors: dict[str, str] = {}
    drafts = []
    for index, (subject, text, duration, day) in wanted:
        problems, draft = _checked(subject, text, duration, day, monday, subjects, school_days)
        errors.update({f"{field}-{index}": code for field, code in problems.items()})
        drafts.append(draft)
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    created = await LessonTopic.insert(
        *(
            LessonTopic(
                school_class=class_id,
                monday=monday,
                day=draft.day,
                subject=draft.subject,
                text=draft.text,
                minutes=draft.minutes,
                version=1,
                published_by=user.id,
                created_at=now,
                updated_at=now,
            )
            for draft in drafts
        )
    ).returning(LessonTopic.id)
    # One statement numbers its rows in order (see logbook.append_entries).
    ids = sorted(row["id"] for row in created)
    topics = [prefill.Topic(id=i, subject=d.subject, text=d.text, minutes=d.minutes, day=d.day) for i, d in zip(ids, drafts)]
    report = await _prefill(class_id, monday, topics, school_days)
    views = [
        TopicView(id=t.id, monday=monday, day=t.day, subject=t.subject, text=t.text, minutes=t.minutes, version=1,
                  published_by_name=user.display_name, updated_at=now)
        for t in topics
    ]
    return views, report


async def _topic_row(class_id: int, topic_id: int, monday: dt.date | None = None) -> dict:
    """The topic of this class (and, where a page names it, of this week), else NotFound."""
    rows = await LessonTopic.select(*_TOPIC_COLUMNS).where(LessonTopic.id == topic_id, LessonTopic.school_class == class_id)
    if not rows or monday not in (None, rows[0]["monday"]):
        raise NotFound()
    return rows[0]


async def change_topic(
    user: CurrentUser,
    class_id: int,
    topic_id: int,
    version: int | None,
    subject: str,
    text: str,
    duration: str | int,
    day: dt.date | None,
    monday: dt.date | None = None,
) -> tuple[TopicView, PrefillReport]:
    """Change a topic if it is still at `version` (else Conflict with what is stored) and carry the
    change into the prefills the apprentices left untouched."""
    school_class = await class_in_scope(user, class_id)
    current = await _topic_row(class_id, topic_id, monday)
    monday = current["monday"]
    school_days = await class_school_days(class_id, monday, monday + dt.timedelta(days=6))
    subjects = {option.value for option in subject_options(school_class["occupation_slug"])} | {current["subject"]}
    errors, draft = _checked(subject, text, duration, day, monday, subjects, school_days)
    if errors:
        raise ValidationFailed(errors)
    if version != current["version"]:
        raise Conflict(_view(current))
    now = utcnow()
    changed = await LessonTopic.update(
        {
            LessonTopic.subject: draft.subject,
            LessonTopic.text: draft.text,
            LessonTopic.minutes: draft.minutes,
            LessonTopic.day: draft.day,
            LessonTopic.version: LessonTopic.version + 1,
            LessonTopic.published_by: user.id,
            LessonTopic.updated_at: now,
        }
    ).where(LessonTopic.id == topic_id, LessonTopic.version == version).returning(LessonTopic.id)
    if not changed:  # another teacher saved in between (PostgreSQL, another worker)
        raise Conflict(_view(await _topic_row(class_id, topic_id)))
    topic = prefill.Topic(id=topic_id, subject=draft.subject, text=draft.text, minutes=draft.minutes, day=draft.day)
    report = await _prefill(class_id, monday, [topic], school_days)
    view = TopicView(
        id=topic_id, monday=monday, day=draft.day, subject=draft.subject, text=draft.text, minutes=draft.minutes,
        version=current["version"] + 1, published_by_name=user.display_name, updated_at=now,
    )
    return view, report


async def delete_topic(user: CurrentUser, class_id: int, topic_id: int, monday: dt.date | None = None) -> PrefillReport:
    """Delete a topic and the prefills the apprentices left untouched; entries they changed stay
    theirs, and signed or submitted weeks are not touched."""
    await class_in_scope(user, class_id)
    current = await _topic_row(class_id, topic_id, monday)
    monday = current["monday"]
    topic = prefill.Topic(topic_id, current["subject"], current["text"], current["minutes"], current["day"], deleted=True)
    report = await _prefill(class_id, monday, [topic], set())
    await LessonTopic.delete().where(LessonTopic.id == topic_id)  # its prefill rows go with it
    return report


# --- the prefill ---------------------------------------------------------------------------------


async def _prefill(class_id: int, monday: dt.date, topics: list[prefill.Topic], school_days: set[dt.date]) -> PrefillReport:
    """Carry topics into the logs of every contract of the class running in that week: read every
    log in six queries, decide per log (lesson_topics.prefill), write in a few statements."""
    sunday = monday + dt.timedelta(days=6)
    contracts = await Contract.select(
        Contract.id, Contract.apprentice, Contract.log_mode, Contract.start_date, Contract.end_date
    ).where(Contract.school_class == class_id, Contract.start_date <= sunday, Contract.end_date >= monday)
    if not contracts:
        return PrefillReport()
    contract_ids = [c["id"] for c in contracts]
    weeks = {w["contract"]: w for w in await logbook.locked_weeks(contract_ids, monday)}
    week_ids = [w["id"] for w in weeks.values()]
    entries: dict[int, list[prefill.LogEntry]] = defaultdict(list)
    statuses: dict[int, dict[dt.date, str]] = defaultdict(dict)
    last_position = 0
    entry_days: dict[int, dt.date | None] = {}
    if week_ids:
        for row in await Entry.select(Entry.id, Entry.week, Entry.day, Entry.text, Entry.minutes, Entry.position).where(
            Entry.week.is_in(week_ids)
        ):
            entries[row["week"]].append(prefill.LogEntry(row["id"], row["day"], row["text"], row["minutes"]))
            entry_days[row["id"]] = row["day"]
            last_position = max(last_position, row["position"])
        for row in await Day.select(Day.week, Day.date, Day.status).where(Day.week.is_in(week_ids)):
            statuses[row["week"]][row["date"]] = row["status"]
    # What the company planned (vacation, inter-company course) counts like a status the apprentice
    # recorded, unless they recorded one themselves.
    planned: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for row in await PlanItem.select(PlanItem.contract, PlanItem.kind, PlanItem.start_date, PlanItem.end_date).where(
        PlanItem.contract.is_in(contract_ids), PlanItem.start_date <= sunday, PlanItem.end_date >= monday
    ):
        for offset in range(7):
            day = monday + dt.timedelta(days=offset)
            if row["start_date"] <= day <= row["end_date"]:
                planned[row["contract"]][day] = row["kind"]
    prefills: dict[int, dict[int, tuple[int, prefill.Prefill]]] = defaultdict(dict)
    for row in await TopicPrefill.select(
        TopicPrefill.id,
        TopicPrefill.topic,
        TopicPrefill.contract,
        TopicPrefill.entry,
        TopicPrefill.entry_version,
        TopicPrefill.entry.version.as_alias("current_version"),
    ).where(TopicPrefill.topic.is_in([t.id for t in topics]), TopicPrefill.contract.is_in(contract_ids)):
        prefills[row["contract"]][row["topic"]] = (
            row["id"],
            prefill.Prefill(row["entry"], row["entry_version"], row["current_version"]),
        )

    decisions: dict[int, list[prefill.Decision]] = {}
    for contract in contracts:
        week = weeks.get(contract["id"])
        log = prefill.Log(
            contract_id=contract["id"],
            log_mode=contract["log_mode"],
            first_day=max(monday, contract["start_date"]),
            last_day=min(sunday, contract["end_date"]),
            week_state=week["state"] if week else None,
            statuses={**planned[contract["id"]], **(statuses[week["id"]] if week else {})},
        )
        known = {topic_id: state for topic_id, (_, state) in prefills[contract["id"]].items()}
        decisions[contract["id"]] = prefill.plan(log, topics, school_days, known, entries[week["id"]] if week else [])
    written = await _write(monday, decisions, weeks, prefills, entry_days, last_position)
    await _notify(class_id, monday, contracts, decisions, written)
    return _report(decisions, written)


async def _write(
    monday: dt.date,
    decisions: dict[int, list[prefill.Decision]],
    weeks: dict[int, dict],
    prefills: dict[int, dict[int, tuple[int, prefill.Prefill]]],
    entry_days: dict[int, dt.date | None],
    last_position: int,
) -> set[int]:
    """Store the decisions; returns the contracts whose log really changed. Every write to an entry
    is a compare-and-set on the version the decision saw: an apprentice's edit in between wins."""
    creating = [cid for cid, ds in decisions.items() if any(d.action == "create" for d in ds)]
    if creating:
        for contract_id, week in (await logbook.ensure_weeks(creating, monday)).items():
            weeks[contract_id] = week
    written: set[int] = set()
    new_entries: list[tuple[int, prefill.Decision]] = []
    claims: list[tuple[int, prefill.Decision]] = []
    # (day, text, minutes, version, moved to another day) → (contract, entry)
    updates: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    removals: dict[int, list[int]] = defaultdict(list)  # entry version → entries
    dropped_prefills: list[int] = []
    touched_weeks: set[int] = set()
    for contract_id, contract_decisions in decisions.items():
        week = weeks.get(contract_id)
        for decision in contract_decisions:
            if decision.action == "create" and week["state"] in logbook.EDITABLE_STATES:
                new_entries.append((contract_id, decision))
            elif decision.action == "claim":
                claims.append((contract_id, decision))
            elif decision.action == "update":
                prefill_id, state = prefills[contract_id][decision.topic_id]
                moved = entry_days.get(decision.entry_id) != decision.day
                updates[(decision.day, decision.text, decision.minutes, state.entry_version, moved)].append((contract_id, decision.entry_id))
                touched_weeks.add(week["id"])
            elif decision.action == "remove":
                prefill_id, state = prefills[contract_id][decision.topic_id]
                removals[state.entry_version].append(decision.entry_id)
                dropped_prefills.append(prefill_id)
                touched_weeks.add(week["id"])
                written.add(contract_id)

    entry_ids = await logbook.append_entries(
        [logbook.NewEntry(weeks[c]["id"], d.day, "school", d.text, d.minutes, origin="school") for c, d in new_entries]
    )
    now = utcnow()
    rows = [
        TopicPrefill(topic=d.topic_id, contract=c, entry=entry_id, entry_version=1, created_at=now)
        for (c, d), entry_id in zip(new_entries, entry_ids)
    ] + [TopicPrefill(topic=d.topic_id, contract=c, entry=None, entry_version=1, created_at=now) for c, d in claims]
    if rows:
        await TopicPrefill.insert(*rows)
    written.update(c for c, _ in new_entries)

    for offset, ((day, text, minutes, version, moved), targets) in enumerate(updates.items(), start=1):
        values = {Entry.day: day, Entry.text: text, Entry.minutes: minutes, Entry.version: version + 1, Entry.updated_at: now}
        if moved:  # to the end of its new day: after every position in these weeks
            values[Entry.position] = last_position + offset
        changed = await Entry.update(values).where(Entry.id.is_in([entry for _, entry in targets]), Entry.version == version).returning(Entry.id)
        done = {row["id"] for row in changed}
        if done:
            await TopicPrefill.update({TopicPrefill.entry_version: version + 1}).where(TopicPrefill.entry.is_in(sorted(done)))
        written.update(c for c, entry in targets if entry in done)
    if dropped_prefills:
        await TopicPrefill.delete().where(TopicPrefill.id.is_in(dropped_prefills))
    for version, entry_ids in removals.items():
        await Entry.delete().where(Entry.id.is_in(entry_ids), Entry.version == version)
    if touched_weeks:
        await Week.update({Week.updated_at: now}).where(Week.id.is_in(sorted(touched_weeks)))
    return written


async def _notify(class_id: int, monday: dt.date, contracts: list[dict], decisions: dict[int, list[prefill.Decision]], written: set[int]) -> None:
    """One in-app notification per apprentice, class and week, for those who got new entries."""
    receiving = {cid for cid, ds in decisions.items() if cid in written and any(d.action == "create" for d in ds)}
    iso_week = monday.isocalendar()[1]
    await notify_many(
        [
            Notice(
                c["apprentice"],
                "topics_published",
                f"Neue Unterrichtsthemen für KW {iso_week}",
                f"/contracts/{c['id']}/log/{monday.isoformat()}",
                body="Die Berufsschule hat Themen in Ihren Nachweis eingetragen. Bitte prüfen und bei Bedarf ergänzen.",
                dedupe_key=f"topics:{class_id}:{monday.isoformat()}:{c['id']}",
            )
            for c in contracts
            if c["id"] in receiving
        ]
    )


def _report(decisions: dict[int, list[prefill.Decision]], written: set[int]) -> PrefillReport:
    """Each log counted once per outcome, for the teacher's notice (with several topics a log can
    be written and, for another topic, over the limit)."""
    reasons: dict[str, int] = defaultdict(int)
    for contract_id, contract_decisions in decisions.items():
        outcomes = {d.reason for d in contract_decisions if d.action in ("none", "claim")}
        if contract_id not in written and any(d.action == "update" for d in contract_decisions):
            outcomes.add("edited")  # the apprentice changed the entry while we were deciding
        for reason in outcomes:
            reasons[reason] += 1
    return PrefillReport(
        written=len(written),
        locked=reasons["locked"],
        over_limit=reasons["over_limit"],
        no_day=reasons["no_day"],
        kept=reasons["edited"] + reasons["deleted"] + reasons["same_text"],
    )
