"""Reading a school's calendar file (iCal or CSV) into school periods, with a problem per line.

Pure: bytes in, periods and problems out, no database. The same bytes always give the same result,
so the confirm step can parse again what the preview showed (see service.confirm_import).
- iCal: every event is a school day or block. All-day and timed events (converted to Berlin dates
  whatever their time zone), multi-day events, and weekly series (RRULE FREQ=WEEKLY, expanded with
  recurring-ical-events, so EXDATE, RDATE and moved occurrences count) become weekly periods.
- CSV: a column "Datum" (one school day per row), or "von" and "bis" (a block per row), or
  "Wochentag" with "von" and "bis" (weekly days per row); an optional "Bezeichnung". The dialect is
  sniffed (Excel writes ";" in Germany), dates are German ("24.11.2026") or ISO.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo

import icalendar
import msgspec
import recurring_ical_events

from leokop.school_calendar.expansion import BLOCK_WEEKDAYS, dates, public_holidays_between, school_holidays_between

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MAX_FILE_BYTES = 512 * 1024
MAX_PERIODS = 1000
MAX_PERIOD_DAYS = 4 * 366  # as long as a training contract may be
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_LABEL = 120


class ImportedPeriod(msgspec.Struct, frozen=True):
    line: int
    kind: str  # weekly | block
    start_date: dt.date
    end_date: dt.date
    weekdays: str
    label: str


class Problem(msgspec.Struct, frozen=True):
    """What is wrong, as a message code of leokop.messages with its parameters; line 0 = the file."""

    line: int
    code: str
    params: dict[str, str] = {}


class Parsed(msgspec.Struct, frozen=True):
    source: str  # ical | csv | "" when unreadable
    periods: list[ImportedPeriod]
    problems: list[Problem]


def parse(data: bytes, state: str) -> Parsed:
    """Read an iCal or CSV file (told apart by content, not by name). `state` is the school's
    Bundesland: a weekly series is split only where a date is missing that is not a holiday."""
    if len(data) > MAX_FILE_BYTES:
        return Parsed("", [], [Problem(0, "import_too_large")])
    text = _decode(data)
    if not text.strip():
        return Parsed("", [], [Problem(0, "import_empty")])
    if text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        parsed = _parse_ical(data, text, state)
    else:
        parsed = _parse_csv(text)
    if len(parsed.periods) > MAX_PERIODS:
        return Parsed(parsed.source, [], [Problem(0, "import_too_many", {"max": str(MAX_PERIODS)})])
    if not parsed.periods and not parsed.problems:
        return Parsed(parsed.source, [], [Problem(0, "import_empty")])
    return parsed


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # Excel in Germany saves CSV in Windows-1252


def _check_span(line: int, start: dt.date, end: dt.date) -> Problem | None:
    if end < start:
        return Problem(line, "import_end_before_start")
    if not (FIRST_YEAR <= start.year and end.year <= LAST_YEAR):
        return Problem(line, "import_date_range", {"first": str(FIRST_YEAR), "last": str(LAST_YEAR)})
    if (end - start).days >= MAX_PERIOD_DAYS:
        return Problem(line, "import_period_too_long")
    return None


def _block(line: int, start: dt.date, end: dt.date, label: str) -> ImportedPeriod:
    # One day keeps its weekday (a Saturday stays a school day); longer blocks mean the working days.
    weekdays = str(start.isoweekday()) if start == end else BLOCK_WEEKDAYS
    return ImportedPeriod(line, "block", start, end, weekdays, label[:MAX_LABEL])


# --- iCal ----------------------------------------------------------------------------------------


def _local_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return (value.astimezone(BERLIN) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    return None


def _last_day(event, start_value, start: dt.date) -> dt.date:
    """The last date an event covers: DTEND is exclusive for all-day events and for timed events
    that end at midnight; without DTEND, DURATION counts; without either, the event is one day."""
    end_value = event.decoded("DTEND", None)
    if end_value is None and event.get("DURATION") is not None:
        end_value = start_value + event.decoded("DURATION")
    if not isinstance(end_value, dt.date):
        return start
    if not isinstance(end_value, dt.datetime):
        return max(start, end_value - dt.timedelta(days=1))
    local = end_value.astimezone(BERLIN) if end_value.tzinfo else end_value
    last = local.date()
    if local.time() == dt.time(0, 0) and last > start:
        last -= dt.timedelta(days=1)
    return max(start, last)


def _event_lines(text: str) -> list[int]:
    """Line numbers of the top-level events' BEGIN:VEVENT, in file order (as icalendar keeps them)."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if line.strip().upper() == "BEGIN:VEVENT"]


def _parse_ical(data: bytes, text: str, state: str) -> Parsed:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError):
        return Parsed("ical", [], [Problem(0, "ical_invalid")])
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    lines = _event_lines(text)
    periods: list[ImportedPeriod] = []
    problems: list[Problem] = []
    overrides: dict[str, list] = {}
    for event in events:
        if event.get("RECURRENCE-ID") is not None:
            overrides.setdefault(str(event.get("UID", "")), []).append(event)
    for index, event in enumerate(events):
        line = lines[index] if index < len(lines) else 0
        if event.get("RECURRENCE-ID") is not None or str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue  # a moved or cancelled occurrence: part of its series, expanded there
        label = str(event.get("SUMMARY", "")).strip()
        try:
            start_value = event.decoded("DTSTART", None)
        except (ValueError, TypeError):
            start_value = None
        start = _local_date(start_value)
        if start is None:
            problems.append(Problem(line, "ical_start_invalid"))
            continue
        if not FIRST_YEAR <= start.year <= LAST_YEAR:
            problems.append(Problem(line, "import_date_range", {"first": str(FIRST_YEAR), "last": str(LAST_YEAR)}))
            continue
        try:
            if event.get("RRULE") is None:
                last = _last_day(event, start_value, start)
                problem = _check_span(line, start, last)
                if problem:
                    problems.append(problem)
                else:
                    periods.append(_block(line, start, last, label))
                continue
            found, problem = _series(event, overrides.get(str(event.get("UID", "")), []), line, start, label, state)
        except (ValueError, TypeError, OverflowError):
            found, problem = [], Problem(line, "ical_event_invalid")
        if problem:
            problems.append(problem)
        periods.extend(found)
    return Parsed("ical", periods, problems)


def _series(event, moved: list, line: int, start: dt.date, label: str, state: str) -> tuple[list[ImportedPeriod], Problem | None]:
    """A weekly series as weekly periods: one if every expected date occurs, else split where an
    occurrence is missing on a day that is no holiday (an EXDATE, a cancelled lesson)."""
    rule = event.get("RRULE")
    if [str(f).upper() for f in rule.get("FREQ", [])] != ["WEEKLY"]:
        return [], Problem(line, "ical_rrule_unsupported")
    if not rule.get("UNTIL") and not rule.get("COUNT"):
        return [], Problem(line, "ical_rrule_endless")
    single = icalendar.Calendar()
    single.add_component(event)
    for component in moved:
        single.add_component(component)
    limit = start + dt.timedelta(days=MAX_PERIOD_DAYS)
    occurrences = sorted(
        {
            day
            for occurrence in recurring_ical_events.of(single).between(start, limit + dt.timedelta(days=1))
            if str(occurrence.get("STATUS", "")).upper() != "CANCELLED"
            and (day := _local_date(occurrence.decoded("DTSTART"))) is not None
        }
    )
    if not occurrences:
        return [], None
    problem = _check_span(line, occurrences[0], occurrences[-1])
    if problem:
        return [], problem
    weekdays = "".join(sorted({str(day.isoweekday()) for day in occurrences}))
    first, last = occurrences[0], occurrences[-1]
    closed = public_holidays_between(state, first, last).keys() | school_holidays_between(state, first, last).keys()
    present = set(occurrences)
    segments: list[list[dt.date]] = [[]]
    for day in dates(first, last):
        if str(day.isoweekday()) not in weekdays or day in closed:
            continue
        if day in present:
            segments[-1].append(day)
        elif segments[-1]:
            segments.append([])
    return [
        ImportedPeriod(line, "weekly", segment[0], segment[-1], weekdays, label[:MAX_LABEL]) for segment in segments if segment
    ], None


# --- CSV -----------------------------------------------------------------------------------------

_COLUMNS = {
    "date": ("datum", "tag", "schultag", "date"),
    "start": ("von", "beginn", "start", "ab", "anfang", "startdatum", "vom"),
    "end": ("bis", "ende", "end", "enddatum"),
    "weekday": ("wochentag", "wochentage", "tage", "weekday", "weekdays"),
    "label": ("bezeichnung", "titel", "label", "beschreibung", "name", "block", "bemerkung", "thema", "summary"),
}
_WEEKDAYS = {
    "montag": 1, "mo": 1, "monday": 1, "mon": 1,
    "dienstag": 2, "di": 2, "tuesday": 2, "tue": 2,
    "mittwoch": 3, "mi": 3, "wednesday": 3, "wed": 3,
    "donnerstag": 4, "do": 4, "thursday": 4, "thu": 4,
    "freitag": 5, "fr": 5, "friday": 5, "fri": 5,
    "samstag": 6, "sa": 6, "saturday": 6, "sat": 6,
}  # fmt: skip
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")


def _column_of(header: str) -> str | None:
    name = re.sub(r"[^a-zäöüß]", "", header.strip().lower())
    return next((key for key, names in _COLUMNS.items() if name in names), None)


def parse_date(raw: str) -> dt.date | None:
    """A German ("24.11.2026", "1.9.26") or ISO ("2026-11-24") date, None if it is neither."""
    raw = raw.strip()
    try:
        match = _GERMAN_DATE.match(raw)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        return dt.date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        return None


def parse_weekdays(raw: str) -> str | None:
    """ISO weekday digits from "Dienstag", "Di.", "Di, Do", "Dienstag und Donnerstag" or "2/4"."""
    found = set()
    for part in re.split(r"[,;/+&\s]+|\bund\b", raw.strip().lower()):
        part = part.strip(".")
        if not part:
            continue
        if part.isdigit() and 1 <= int(part) <= 6:
            found.add(int(part))
        elif part in _WEEKDAYS:
            found.add(_WEEKDAYS[part])
        else:
            return None
    return "".join(str(d) for d in sorted(found)) or None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t")
    except csv.Error:
        # One column only, or nothing to tell by: Excel in Germany separates with ";".
        class Semicolon(csv.excel):
            delimiter = ";"

        return Semicolon


def _parse_csv(text: str) -> Parsed:
    reader = csv.reader(io.StringIO(text), _dialect(text))
    header: dict[str, int] | None = None
    found_names: list[str] = []
    periods: list[ImportedPeriod] = []
    problems: list[Problem] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            found_names = [cell.strip() for cell in row if cell.strip()]
            header = {}
            for position, cell in enumerate(row):
                key = _column_of(cell)
                if key and key not in header:
                    header[key] = position
            if "date" not in header and not {"start", "end"} <= header.keys():
                return Parsed("csv", [], [Problem(line, "import_columns", {"found": ", ".join(found_names) or "–"})])
            continue

        def cell(key: str) -> str:
            position = header.get(key)
            return row[position].strip() if position is not None and position < len(row) else ""

        label = cell("label")
        if "date" in header and not {"start", "end"} <= header.keys():
            day = _required_date(problems, line, cell("date"), "Datum")
            if day is not None:
                periods.append(_block(line, day, day, label))
            continue
        start = _required_date(problems, line, cell("start"), "von")
        end = _required_date(problems, line, cell("end"), "bis")
        weekdays = BLOCK_WEEKDAYS
        if "weekday" in header:
            raw = cell("weekday")
            weekdays = parse_weekdays(raw) if raw else None
            if weekdays is None:
                problems.append(
                    Problem(line, "import_weekday_invalid", {"value": raw}) if raw else Problem(line, "import_missing", {"column": "Wochentag"})
                )
                continue
        if start is None or end is None:
            continue
        problem = _check_span(line, start, end)
        if problem:
            problems.append(problem)
        elif "weekday" in header:
            periods.append(ImportedPeriod(line, "weekly", start, end, weekdays, label[:MAX_LABEL]))
        else:
            periods.append(_block(line, start, end, label))
    return Parsed("csv", periods, problems)


def _required_date(problems: list[Problem], line: int, raw: str, column: str) -> dt.date | None:
    if not raw:
        problems.append(Problem(line, "import_missing", {"column": column}))
        return None
    day = parse_date(raw)
    if day is None:
        problems.append(Problem(line, "import_date_invalid", {"value": raw}))
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        problems.append(Problem(line, "import_date_range", {"first": str(FIRST_YEAR), "last": str(LAST_YEAR)}))
        return None
    return day
