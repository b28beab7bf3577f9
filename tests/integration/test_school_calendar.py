"""School calendar over HTTP and through its service: a class's school days from its periods."""

from __future__ import annotations

import datetime as dt

from leokop.organisations.tables import SchoolClass
from leokop.school_calendar import service
from leokop.school_calendar.tables import SchoolPeriod
from leokop.timeutil import utcnow

D = dt.date


def class_id(run, name: str) -> int:
    return run(SchoolClass.select(SchoolClass.id).where(SchoolClass.name == name).first())["id"]


def add_period(run, school_class: int, kind: str, start: dt.date, end: dt.date, weekdays: str, label: str = "") -> None:
    run(
        SchoolPeriod.insert(
            SchoolPeriod(
                school_class=school_class, kind=kind, start_date=start, end_date=end, weekdays=weekdays,
                label=label, created_at=utcnow(),
            )
        )
    )


def test_class_school_days_in_one_query_for_one_or_many_classes(client, run, count_queries):
    fia, im = class_id(run, "FIA25a"), class_id(run, "IM25b")
    run(SchoolPeriod.delete(force=True))
    add_period(run, fia, "weekly", D(2026, 11, 1), D(2026, 11, 30), "24")
    add_period(run, im, "block", D(2026, 11, 16), D(2026, 11, 20), "12345", "Block 1")
    count_queries.clear()
    assert run(service.class_school_days(fia, D(2026, 11, 9), D(2026, 11, 15))) == {D(2026, 11, 10), D(2026, 11, 12)}
    assert len(count_queries) == 1
    count_queries.clear()
    both = run(service.classes_school_days([fia, im, 999_999], D(2026, 11, 16), D(2026, 11, 22)))
    assert len(count_queries) == 1
    assert both == {
        fia: {D(2026, 11, 17), D(2026, 11, 19)},
        im: {D(2026, 11, 16) + dt.timedelta(days=n) for n in range(5)},
        999_999: set(),
    }
