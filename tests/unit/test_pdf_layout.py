"""The PDF layout without a database: the weekly mode, text that looks like markup, words longer than
a line, a sheet longer than a page, signatures on someone's behalf and voided ones; read back with
pdfminer.six (independent of the writer)."""

from __future__ import annotations

import datetime as dt
import io
import re

from pdfminer.high_level import extract_text
from pypdf import PdfReader

from leokop.exports import pdf
from leokop.exports.document import Cover, LogDocument, LogEvent, Sheet, SheetDay, SheetEntry, SheetSignature

AT = dt.datetime(2026, 3, 20, 13, 5, tzinfo=dt.timezone.utc)  # 14:05 in Berlin
MONDAY = dt.date(2026, 3, 16)


def _cover(mode: str) -> Cover:
    return Cover(
        apprentice="Zeynep Şahin-Łukasiewicz",
        birth_date=dt.date(2009, 5, 1),
        company="Müller & Söhne <GmbH>",
        company_city="Gießen",
        chamber="IHK Gießen-Friedberg",
        occupation="Elektroniker/in",
        regulation="ElektroBerAusbV",
        start_date=dt.date(2025, 8, 1),
        end_date=dt.date(2029, 1, 31),
        log_form="electronic",
        log_mode=mode,
        daily_minutes=480,
        trainers=("Jonas Becker",),
        instructors=("Tobias Klein",),
        school="Berufliche Schule am Main",
        school_class="EL25b",
        first_monday=MONDAY,
        last_monday=MONDAY,
        exported_at=AT,
    )


def _sheet(entries: tuple[SheetEntry, ...], signatures: tuple[SheetSignature, ...] = ()) -> Sheet:
    days = tuple(SheetDay(MONDAY + dt.timedelta(days=d), status, "", None) for d, status in enumerate(["company", "school", "vacation", "sick", "other_absence"]))
    return Sheet(MONDAY, 34, 12, 2026, 1, MONDAY, MONDAY + dt.timedelta(days=4), "approved", days, entries, ("schaltplan.png",), signatures, "ab" * 32)


def _render(tmp_path, document: LogDocument) -> tuple[str, pdf.Rendered]:
    out = tmp_path / "log.pdf"
    rendered = pdf.render(document, {MONDAY: "K7QX3M9PTZ4A"}, out, base_url="https://leokop.example")
    return extract_text(io.BytesIO(out.read_bytes())), rendered


def test_the_weekly_mode_and_text_that_looks_like_markup(tmp_path):
    entries = (
        SheetEntry(None, "company", "Schaltschrank <X1> & Klemmen geprüft", 240),
        SheetEntry(None, "school", "LF 3: Steuerungen analysieren", 90),
        SheetEntry(None, "inter_company", "ÜBA-Lehrgang Elektropneumatik", 480),
    )
    signatures = (
        SheetSignature("approval", "Tobias Klein", "substitute", "Jonas Becker", AT, "AB12 CD34 EF56 7890"),
        SheetSignature("acknowledgement", "Andrea Wolf", "guardian", "", AT, "AB12 CD34 EF56 7890"),
    )
    log = (
        LogEvent(34, MONDAY, "approval", "Jonas Becker", "trainer", "", AT - dt.timedelta(days=2), "0000 1111 2222 3333", AT - dt.timedelta(days=1)),
        LogEvent(34, MONDAY, "approval", "Tobias Klein", "substitute", "Jonas Becker", AT, "AB12 CD34 EF56 7890", None),
    )
    text, rendered = _render(tmp_path, LogDocument(1, _cover("weekly"), (_sheet(entries, signatures),), log))
    flat = re.sub(r"\s+", " ", text)
    assert "Zeynep Şahin-Łukasiewicz" in flat and "Müller & Söhne <GmbH>, Gießen" in flat
    assert "Schaltschrank <X1> & Klemmen geprüft" in flat and "4:00 Std." in flat
    assert "Tätigkeiten und Themen der Woche" in flat and "Wochensumme: 13:30 Std." in flat
    # Row by row in the content (pdfminer's layout analysis reads the day table column by column).
    rows = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(tmp_path / "log.pdf").pages))
    assert "Dienstag Berufsschule" in rows and "Donnerstag Krank" in rows and "Mittwoch Urlaub" in rows
    assert "Tobias Klein (Vertretung) in Vertretung für Jonas Becker, 20.03.2026, 14:05 Uhr" in flat
    assert "Zur Kenntnis genommen" in flat and "Andrea Wolf (Erziehungsberechtigte/r)" in flat
    assert "aufgehoben am 19.03.2026, 14:05 Uhr (Woche wieder geöffnet)" in flat
    assert "Anlagen: schaltplan.png" in flat and "Prüfcode: K7QX-3M9P-TZ4A" in flat
    assert "https://leokop.example/verify/K7QX-3M9P-TZ4A" in flat
    assert rendered.sheets[0].first_page == 2 and rendered.pages == len(PdfReader(tmp_path / "log.pdf").pages)


def test_long_words_and_a_sheet_longer_than_a_page(tmp_path):
    link = "https://intranet.example/" + "x" * 300  # a pasted link: no space to break at
    entries = tuple(SheetEntry(MONDAY + dt.timedelta(days=d % 5), "company", f"Eintrag {i}: Leitungen verlegt und Messprotokoll erstellt.", 30) for i, d in enumerate(range(60)))
    entries += (SheetEntry(MONDAY, "company", link, 15), SheetEntry(MONDAY, "company", "Absatz eins\nAbsatz zwei " * 60, 15))
    text, rendered = _render(tmp_path, LogDocument(1, _cover("daily"), (_sheet(entries),), ()))
    squeezed = re.sub(r"\s+", "", text)
    assert link in squeezed  # cut over several lines, nothing lost
    assert all(f"Eintrag{i}:" in squeezed for i in range(60))
    assert rendered.sheets[0].last_page - rendered.sheets[0].first_page >= 2
    reader = PdfReader(tmp_path / "log.pdf")
    for page in reader.pages[rendered.sheets[0].first_page - 1 : rendered.sheets[0].last_page]:
        assert "Prüfcode K7QX-3M9P-TZ4A" in page.extract_text()
        assert page.mediabox.width < 600  # A4 portrait: nothing ran off the page


def test_codes_as_people_type_them():
    assert pdf.normalize_code(" k7qx-3m9p tz4a ") == "K7QX3M9PTZ4A"
    assert pdf.format_code("K7QX3M9PTZ4A") == "K7QX-3M9P-TZ4A"
    assert pdf.CODE_PATTERN.findall("Prüfcode:K7QX-3M9P-TZ4A") == ["K7QX-3M9P-TZ4A"]
    assert pdf.CODE_PATTERN.findall("PrüfcodeK7QX-3M9P-TZ4I") == []  # I is not in the alphabet


def test_the_range_of_an_export():
    from leokop.errors import ValidationFailed
    from leokop.exports.service import choose_range
    from leokop.logbook import calendar
    from leokop.timeutil import today_berlin

    start, end = dt.date(2024, 8, 1), dt.date(2027, 7, 31)  # running: today is inside
    this_monday = calendar.monday_of(today_berlin())
    whole = choose_range(start, end, None, None)
    assert (whole.first_monday, whole.last_monday) == (dt.date(2024, 7, 29), min(this_monday, dt.date(2027, 7, 26)))
    future = choose_range(start, end, None, dt.date(2027, 7, 30))  # asked for: the weeks ahead too
    assert future.last_monday == dt.date(2027, 7, 26) and future.weeks == len(calendar.contract_weeks(start, end))
    ended = choose_range(dt.date(2020, 8, 1), dt.date(2023, 7, 31), None, None)
    assert ended.last_monday == dt.date(2023, 7, 31)  # a Monday: the ended contract's last week
    one = choose_range(start, end, dt.date(2025, 3, 19), dt.date(2025, 3, 21))
    assert (one.first_monday, one.last_monday, one.weeks) == (dt.date(2025, 3, 17), dt.date(2025, 3, 17), 1)
    for first, last, field, code in (
        (dt.date(2025, 3, 20), dt.date(2025, 3, 1), "last", "export_range_reversed"),
        (dt.date(2023, 1, 2), None, "first", "export_outside_contract"),
        (None, dt.date(2030, 1, 1), "last", "export_outside_contract"),
    ):
        try:
            choose_range(start, end, first, last)
        except ValidationFailed as failure:
            assert failure.errors == {field: code}
        else:
            raise AssertionError((first, last))
