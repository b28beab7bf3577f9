"""The PDF of a log (L13): cover sheet, one sheet per week, approval log; made PDF/A-2u afterwards.

ReportLab's platypus lays the pages out; the weeks are fed to it one at a time (each week's
flowables are made when the previous week is on the page), so memory holds one week's layout plus
the PDF being written. ReportLab's open-source edition writes no PDF/A, so pikepdf adds what PDF/A-2
asks for: XMP metadata matching the document info, an sRGB output intent and the document language.
Every font is embedded (Noto Sans as TrueType subsets with Unicode maps), so the text layer is real.
Pure: no database; the caller passes a LogDocument and the sheets' verification codes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from itertools import groupby
from pathlib import Path

import msgspec
import pikepdf
import pypdfium2
import segno
from PIL import ImageCms
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from leokop.exports import wording as W
from leokop.exports.document import LogDocument, Sheet, SheetDay, SheetEntry
from leokop.settings import PROJECT_ROOT
from leokop.signing.content import fingerprint
from leokop.timeutil import to_berlin

FONT_DIR = Path(PROJECT_ROOT) / "web" / "static" / "vendor" / "fonts"
REGULAR, BOLD = "NotoSans", "NotoSans-Bold"
PDFA_PART, PDFA_CONFORMANCE = "2", "U"

# Crockford's base 32 without I, L, O, U: nothing to misread when typing a code from paper.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PATTERN = re.compile(r"Prüfcode:?([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})")


class SheetPages(msgspec.Struct, frozen=True):
    monday: dt.date
    code: str
    first_page: int  # 1-based
    last_page: int


class Rendered(msgspec.Struct, frozen=True):
    pages: int
    sheets: tuple[SheetPages, ...]


def format_code(code: str) -> str:
    return f"{code[0:4]}-{code[4:8]}-{code[8:12]}"


def normalize_code(text: str) -> str:
    """What people type from paper: any case, with or without dashes and spaces."""
    return re.sub(r"[\s-]", "", text or "").upper()


def german_date(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def german_datetime(value: dt.datetime) -> str:
    return to_berlin(value).strftime("%d.%m.%Y, %H:%M Uhr")


def hours(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d} Std."


@cache
def _register_fonts() -> None:
    for name, filename in ((REGULAR, "NotoSans_400Regular.ttf"), (BOLD, "NotoSans_700Bold.ttf")):
        path = FONT_DIR / filename
        if not path.exists():
            raise FileNotFoundError(f"{path} fehlt: scripts/setup installiert die Schrift für den PDF-Export")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#333333")),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=22, leading=27, spaceAfter=4 * mm),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=13, leading=16, spaceAfter=2 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=10, leading=13, spaceBefore=2.5 * mm, spaceAfter=1 * mm),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")),
        "label": ParagraphStyle("label", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
        "strong": ParagraphStyle("strong", parent=base, fontName=BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "right_strong": ParagraphStyle("right_strong", parent=base, fontName=BOLD, alignment=TA_RIGHT),
    }


def _p(text: str, style: str = "base") -> Paragraph:
    # Paragraph reads a mini-markup: the user's text is escaped so "<", "&" print as typed.
    return Paragraph(_escape(text), _styles()[style])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")


SMALL = 7.5
GRID = colors.HexColor("#999999")
SHADE = colors.HexColor("#EEEEEE")


class GridRow(msgspec.Struct, frozen=True):
    cells: tuple[str, ...]
    bold: bool = False
    shade: bool = False
    rule_above: bool = False
    size: float = 9.0


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of at most `width`; a word longer than a line (a pasted link) is cut where it must be."""
    if "\n" not in text and pdfmetrics.stringWidth(text, font, size) <= width:
        return [text]
    lines = []
    for line in simpleSplit(text, font, size, width) or [""]:
        while len(line) > 1 and pdfmetrics.stringWidth(line, font, size) > width:
            low, high = 1, len(line) - 1  # the longest prefix that fits, by bisection
            while low < high:
                middle = (low + high + 1) // 2
                if pdfmetrics.stringWidth(line[:middle], font, size) <= width:
                    low = middle
                else:
                    high = middle - 1
            lines.append(line[:low])
            line = line[low:]
        lines.append(line)
    return lines


class _Grid(Flowable):
    """Rows of plain text in columns, wrapped with ReportLab's fast string metrics and drawn with
    drawString. Platypus tables of Paragraphs parse markup and measure every cell several times:
    they made a three-year log take 9 s; this takes a fraction. Splits between rows (and inside a
    row taller than a page), repeating the header row if asked."""

    PAD = 2.0

    def __init__(self, columns: list[tuple[float | None, str]], rows: list[GridRow], *, header: bool = False, rule_below: bool = True) -> None:
        super().__init__()
        self.columns, self.rows, self.header, self.rule_below = columns, rows, header, rule_below
        self._laid: list[tuple[GridRow, list[list[str]], float]] | None = None

    @staticmethod
    def _font(row: GridRow) -> tuple[str, float, float]:
        return (BOLD if row.bold else REGULAR), row.size, row.size * 1.28

    def _widths(self, available: float) -> list[float]:
        fixed = sum(w for w, _ in self.columns if w is not None)
        return [w if w is not None else available - fixed for w, _ in self.columns]

    def wrap(self, available_width, available_height):
        if self._laid is not None and self.width == available_width:
            return self.width, self.height  # platypus asks again before splitting and drawing
        self.width = available_width
        widths = self._widths(available_width)
        self._laid = []
        for row in self.rows:
            font, size, leading = self._font(row)
            cells = [_wrap(text, font, size, width - 2 * self.PAD) if text else [] for text, width in zip(row.cells, widths)]
            self._laid.append((row, cells, max((len(c) for c in cells), default=0) * leading + 2 * self.PAD))
        self.height = sum(h for _, _, h in self._laid)
        return self.width, self.height

    def split(self, available_width, available_height):
        self.wrap(available_width, available_height)
        used, head = 0.0, []
        start = 1 if self.header else 0
        if self.header:
            used = self._laid[0][2]
            head = [self.rows[0]]
        for index in range(start, len(self._laid)):
            row, cells, height = self._laid[index]
            if used + height > available_height:
                if index == start:
                    return self._split_row(index, available_height - used, head)
                rest = self.rows[index:]
                return [
                    _Grid(self.columns, self.rows[:index], header=self.header, rule_below=False),
                    _Grid(self.columns, head + rest, header=self.header, rule_below=self.rule_below),
                ]
            used += height
        return [self]

    def _split_row(self, index: int, room: float, head: list[GridRow]) -> list:
        """A single row taller than the room left: its first lines here, the rest on the next page."""
        row, cells, _ = self._laid[index]
        _, size, leading = self._font(row)
        fit = int((room - 2 * self.PAD) // leading)
        if fit < 2:
            return []  # not even two lines: the whole row moves to the next page
        first = GridRow(tuple(" ".join(c[:fit]) for c in cells), row.bold, row.shade, row.rule_above, row.size)
        second = GridRow(tuple(" ".join(c[fit:]) for c in cells), row.bold, row.shade, False, row.size)
        return [
            _Grid(self.columns, head + [first], header=self.header, rule_below=False),
            _Grid(self.columns, head + [second] + self.rows[index + 1 :], header=self.header, rule_below=self.rule_below),
        ]

    def draw(self) -> None:
        canv = self.canv
        widths = self._widths(self.width)
        y = self.height
        for index, (row, cells, height) in enumerate(self._laid):
            font, size, leading = self._font(row)
            if row.shade or (self.header and index == 0):
                canv.setFillColor(SHADE)
                canv.rect(0, y - height, self.width, height, stroke=0, fill=1)
            canv.setStrokeColor(GRID)
            canv.setLineWidth(0.3)
            if row.rule_above:
                canv.line(0, y, self.width, y)
            if self.rule_below:
                canv.line(0, y - height, self.width, y - height)
            canv.setFillColor(colors.black)
            # One text object per row: drawString would open and close one per line.
            text = canv.beginText()
            text.setFont(font, size, leading)
            x = 0.0
            for lines, width, (_, align) in zip(cells, widths, self.columns):
                baseline = y - self.PAD - size
                if align == "right":
                    for line in lines:
                        text.setTextOrigin(x + width - self.PAD - pdfmetrics.stringWidth(line, font, size), baseline)
                        text.textOut(line)
                        baseline -= leading
                elif lines:
                    text.setTextOrigin(x + self.PAD, baseline)
                    for line in lines:
                        text.textLine(line)  # the next line by the leading, without new coordinates
                x += width
            canv.drawText(text)
            y -= height


class _Marker(Flowable):
    """Takes no space; tells the page decoration which sheet is on the page, and records pages."""

    def __init__(self, sheet: Sheet | None, code: str, end: bool = False) -> None:
        super().__init__()
        self.sheet, self.code, self.end = sheet, code, end
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        doc = self.canv._doctemplate
        page = self.canv.getPageNumber()
        if self.end:
            doc.finish_sheet(page)
        else:
            doc.start_sheet(self.sheet, self.code, page)


class _LogTemplate(BaseDocTemplate):
    """Feeds the weeks lazily and draws each page's running header and footer."""

    def __init__(self, out, document: LogDocument, codes: dict[dt.date, str], base_url: str, progress: Callable[[int], None] | None):
        _register_fonts()
        super().__init__(
            out,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=22 * mm,
            bottomMargin=20 * mm,
            title=f"{W.TITLE} – {document.cover.apprentice}",
            author=document.cover.apprentice,
            subject=f"{W.TITLE} {document.cover.occupation}, {document.cover.company}",
            creator="leokop",
            producer="leokop (ReportLab, pikepdf)",
            lang="de-DE",
            pageCompression=1,
            # Else every page names Helvetica, a font that is not embedded (PDF/A forbids that).
            initialFontName=REGULAR,
        )
        self.document, self.codes, self.base_url, self.progress = document, codes, base_url, progress
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPageEnd=self._decorate)])
        self._pending: Iterator[Sheet] = iter(document.sheets)
        self._story: list = []
        self._current: Sheet | None = None
        self._code = ""
        self._first_page = 0
        self.sheet_pages: list[tuple[dt.date, str, int, int]] = []
        self.weeks_done = 0

    # --- the lazy story ---
    def story(self) -> list:
        self._story = _cover(self.document, self.base_url)
        self._feed()
        return self._story

    def _feed(self) -> None:
        sheet = next(self._pending, None)
        if sheet is None:
            self._story.extend(_approval_log(self.document))
            return
        self._story.extend(_sheet(sheet, self.document, self.codes[sheet.monday], self.base_url))

    def afterFlowable(self, flowable) -> None:
        if isinstance(flowable, _Marker) and flowable.end:
            self.weeks_done += 1
            if self.progress:
                self.progress(self.weeks_done)
            self._feed()

    # --- page bookkeeping ---
    def start_sheet(self, sheet: Sheet, code: str, page: int) -> None:
        self._current, self._code, self._first_page = sheet, code, page

    def finish_sheet(self, page: int) -> None:
        # The sheet stays current: its last page is decorated (Prüfcode in the footer) after this.
        self.sheet_pages.append((self._current.monday, self._code, self._first_page, page))

    def _decorate(self, canvas, doc) -> None:
        cover = self.document.cover
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.HexColor("#333333"))
        top = A4[1] - 12 * mm
        left, right = self.leftMargin, A4[0] - self.rightMargin
        if self._current is not None:
            sheet = self._current
            continued = " (Fortsetzung)" if canvas.getPageNumber() > self._first_page else ""
            label = f"Nachweis Nr. {sheet.number}{continued} · KW {sheet.iso_week}/{sheet.iso_year} · {german_date(sheet.first_day)} – {german_date(sheet.last_day)}"
            canvas.drawRightString(right, top, label)
            room = right - left - pdfmetrics.stringWidth(label, REGULAR, 7.5) - 6 * mm
            canvas.drawString(left, top, _fit(f"{cover.apprentice} · {cover.occupation} · {cover.company}", room))
            canvas.drawString(left, 11 * mm, f"Prüfcode {format_code(self._code)} · prüfen unter {self.base_url}/verify")
        else:
            canvas.drawString(left, top, f"{W.TITLE} · {cover.apprentice} · {cover.occupation}")
            canvas.drawString(left, 11 * mm, f"Erstellt mit leokop am {german_datetime(cover.exported_at)}")
        canvas.drawRightString(right, 11 * mm, f"Seite {canvas.getPageNumber()}")
        canvas.restoreState()


def _heading(text: str, size: float = 10.5, before: float = 2.5 * mm, right: str = "") -> list:
    """A bold line as a plain-text grid row (a Paragraph would parse markup for every week), with
    an optional figure at the right (the day's total)."""
    if right:
        return [Spacer(1, before), _Grid([(None, "left"), (55 * mm, "right")], [GridRow((text, right), bold=True, size=size)], rule_below=False)]
    return [Spacer(1, before), _Grid([(None, "left")], [GridRow((text,), bold=True, size=size)], rule_below=False)]


def _fit(text: str, width: float, size: float = 7.5) -> str:
    """The text, shortened with "…" to fit `width` (a long company name must not run into the
    sheet number beside it)."""
    if pdfmetrics.stringWidth(text, REGULAR, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", REGULAR, size) > width:
        text = text[:-1]
    return text.rstrip(" ·") + "…"


def _facts(rows: list[tuple[str, str]], label_width: float) -> _Grid:
    return _Grid([(label_width, "left"), (None, "left")], [GridRow(row) for row in rows])


def _cover(document: LogDocument, base_url: str) -> list:
    cover = document.cover
    first, last = document.sheets[0], document.sheets[-1]
    rows = [
        ("Auszubildende/r", cover.apprentice + (f", geboren am {german_date(cover.birth_date)}" if cover.birth_date else "")),
        ("Ausbildungsbetrieb", cover.company + (f", {cover.company_city}" if cover.company_city else "")),
        ("Ausbildungsberuf", cover.occupation + (f" ({cover.regulation})" if cover.regulation else "")),
        ("Ausbildungszeit", f"{german_date(cover.start_date)} – {german_date(cover.end_date)}"),
        ("Form des Nachweises", f"{W.LOG_FORM.get(cover.log_form, cover.log_form)}, {W.LOG_MODE.get(cover.log_mode, cover.log_mode)} geführt"),
        ("Regelmäßige tägliche Ausbildungszeit", hours(cover.daily_minutes)),
        ("Ausbilder/in", ", ".join(cover.trainers) or "–"),
        ("Ausbildungsbeauftragte/r", ", ".join(cover.instructors) or "–"),
        ("Berufsschule", cover.school or "–"),
        ("Klasse", cover.school_class or "–"),
        ("Zuständige Stelle", cover.chamber or "–"),
        (
            "Enthaltene Nachweise",
            f"Nr. {first.number} (KW {first.iso_week}/{first.iso_year}) bis Nr. {last.number} (KW {last.iso_week}/{last.iso_year}), "
            f"{len(document.sheets)} Wochen",
        ),
        ("Erstellt am", german_datetime(cover.exported_at)),
    ]
    approved = sum(1 for s in document.sheets if s.state == "approved")
    return [
        _p(W.TITLE, "title"),
        _p(W.LEGAL_BASIS, "small"),
        Spacer(1, 8 * mm),
        _facts(rows, 55 * mm),
        Spacer(1, 8 * mm),
        _p(f"Abgezeichnete Wochen: {approved} von {len(document.sheets)}. Das Protokoll der Abzeichnungen steht am Ende.", "base"),
        Spacer(1, 3 * mm),
        _p(
            "Jedes Wochenblatt trägt einen Prüfcode mit QR-Code. Unter "
            f"{base_url}/verify kann jede Person ohne Konto prüfen, ob ein Blatt mit dem Nachweis in leokop "
            "übereinstimmt, und eine PDF-Datei als Ganzes prüfen lassen.",
            "small",
        ),
        PageBreak(),
    ]


def _day_heading(day: SheetDay) -> str:
    status = W.STATUS.get(day.status, "–") if day.status else "nicht angegeben"
    if day.status == "other_absence" and day.note:
        status += f" ({day.note})"
    if day.holiday and day.status != "holiday":
        status += f" · {day.holiday}"
    elif day.holiday:
        status = f"Feiertag: {day.holiday}"
    return f"{W.WEEKDAYS[day.date.weekday()]}, {german_date(day.date)} – {status}"


def _entries(entries: list[SheetEntry]) -> _Grid | None:
    """Entries grouped by category (in the order of the four categories), durations on the right."""
    if not entries:
        return None
    rows = []
    order = list(W.CATEGORY)
    ordered = sorted(entries, key=lambda e: order.index(e.category) if e.category in order else len(order))
    for category, group in groupby(ordered, key=lambda e: e.category):
        rows.append(GridRow((W.CATEGORY.get(category, category), ""), bold=True, shade=True, size=SMALL))
        rows.extend(GridRow((entry.text, hours(entry.minutes))) for entry in group)
    return _Grid([(None, "left"), (24 * mm, "right")], rows)


def _sheet(sheet: Sheet, document: LogDocument, code: str, base_url: str) -> list:
    cover = document.cover
    flow: list = [_Marker(sheet, code), *_heading(f"{W.TITLE} Nr. {sheet.number}", 13, 0)]
    # Two label/value pairs a row: the six header fields (L3) in three lines.
    flow.append(
        _Grid(
            [(20 * mm, "left"), (None, "left"), (27 * mm, "left"), (63 * mm, "left")],
            [
                GridRow(("Name", cover.apprentice, "Ausbildungsjahr", f"{sheet.training_year}.")),
                GridRow(("Betrieb", cover.company, "Zeitraum", f"KW {sheet.iso_week}/{sheet.iso_year}: {german_date(sheet.first_day)} – {german_date(sheet.last_day)}")),
                GridRow(("Beruf", cover.occupation, "Stand", W.STATE.get(sheet.state, sheet.state))),
            ],
        )
    )
    daily = cover.log_mode == "daily"
    if daily:
        for day in sheet.days:
            entries = [e for e in sheet.entries if e.day == day.date]
            total = f"Tagessumme {hours(sum(e.minutes for e in entries))}" if entries else ""
            flow.extend(_heading(_day_heading(day), right=total))
            flow.append(_entries(entries) or _nothing())
    else:
        flow.extend(_heading("Tage"))
        flow.append(_facts([(W.WEEKDAYS[d.date.weekday()], _day_heading(d).split(" – ", 1)[1]) for d in sheet.days], 40 * mm))
    undated = [e for e in sheet.entries if not daily or e.day is None]
    if undated or not daily:
        flow.extend(_heading("Ohne Tag" if daily else "Tätigkeiten und Themen der Woche"))
        flow.append(_entries(undated) or _nothing())
    flow.append(Spacer(1, 1.5 * mm))
    flow.append(_p(f"Wochensumme: {hours(sum(e.minutes for e in sheet.entries))}", "right_strong"))
    if sheet.attachments:
        flow.append(_p("Anlagen: " + ", ".join(sheet.attachments), "small"))
    flow.append(CondPageBreak(58 * mm))  # the signature block stays on one page with the QR code
    flow.extend(_signature_block(sheet, code, base_url))
    flow.append(_Marker(sheet, code, end=True))
    flow.append(PageBreak())
    return flow


def _nothing() -> _Grid:
    return _Grid([(None, "left")], [GridRow(("Keine Einträge.",), size=SMALL)], rule_below=False)


class _QrCode(Flowable):
    """A QR code drawn as one vector path (a run of dark modules is one rectangle): ReportLab's own
    widget draws every module as a shape and costs a tenth of a second per sheet."""

    def __init__(self, text: str, size: float) -> None:
        super().__init__()
        # A fixed mask: choosing the best of eight costs 20 ms per code and scanners read any of them.
        self.matrix = segno.make(text, error="m", micro=False, mask=0).matrix
        self.width = self.height = size

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        quiet = 2  # modules of white border inside the box
        count = len(self.matrix) + 2 * quiet
        module = self.width / count
        path = self.canv.beginPath()
        for row_index, row in enumerate(self.matrix):
            y = self.height - (row_index + quiet + 1) * module
            column = 0
            while column < len(row):
                if not row[column]:
                    column += 1
                    continue
                run = column
                while run < len(row) and row[run]:
                    run += 1
                path.rect((column + quiet) * module, y, (run - column) * module, module)
                column = run
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def _signature_block(sheet: Sheet, code: str, base_url: str) -> list:
    flow: list = [Spacer(1, 3 * mm), HRFlowable(width="100%", thickness=0.6, color=GRID), _p("Bestätigungen", "h2")]
    if sheet.signatures:
        rows = []
        for s in sheet.signatures:
            who = s.signer + f" ({W.ROLE.get(s.role, s.role)})" + (f" in Vertretung für {s.on_behalf_of}" if s.on_behalf_of else "")
            rows.append((W.SIGNATURE_KIND.get(s.kind, s.kind), f"{who}, {german_datetime(s.signed_at)}, Inhalt {s.fingerprint}"))
        flow.append(_facts(rows, 45 * mm))
    else:
        flow.append(_p(f"Noch nicht elektronisch abgezeichnet (Stand: {W.STATE.get(sheet.state, sheet.state)}).", "base"))
    if not sheet.signatures:
        flow.append(_p(f"Inhaltlicher Fingerabdruck dieser Woche: {fingerprint(sheet.content_hash)}", "small"))
    flow.append(Spacer(1, 9 * mm))
    third = (A4[0] - 36 * mm) / 3
    flow.append(_Grid([(third, "left")] * 3, [GridRow(W.PAPER_SIGNATURES, rule_above=True, size=SMALL)], rule_below=False))
    url = f"{base_url}/verify/{format_code(code)}"
    verify = Table(
        [[_QrCode(url, 22 * mm), [_p(f"Prüfcode: {format_code(code)}", "strong"), _p(f"Echtheit prüfen: {url}", "small")]]],
        colWidths=[25 * mm, None],
    )
    # FONT: a table sets its cells' font itself, by default Helvetica, which PDF/A would refuse (not embedded).
    verify.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0), ("FONT", (0, 0), (-1, -1), REGULAR)]))
    flow.append(Spacer(1, 3 * mm))
    flow.append(verify)
    return flow


def _approval_log(document: LogDocument) -> list:
    flow: list = [_Marker(None, ""), _p("Protokoll der Abzeichnungen", "h1")]
    if not document.approval_log:
        return [*flow, _p("Im exportierten Zeitraum wurde keine Woche elektronisch bestätigt.")]
    rows = [GridRow(("Nr.", "KW", "Bestätigung", "Von", "Zeitpunkt", "Inhalt"), bold=True, size=SMALL)]
    for event in document.approval_log:
        iso = event.monday.isocalendar()
        who = f"{event.signer} ({W.ROLE.get(event.role, event.role)})" + (f" für {event.on_behalf_of}" if event.on_behalf_of else "")
        what = W.SIGNATURE_KIND.get(event.kind, event.kind)
        if event.voided_at:
            what += f"; aufgehoben am {german_datetime(event.voided_at)} (Woche wieder geöffnet)"
        rows.append(GridRow((str(event.number), f"{iso[1]}/{iso[0]}", what, who, german_datetime(event.signed_at), event.fingerprint), size=SMALL))
    columns = [(10 * mm, "left"), (16 * mm, "left"), (32 * mm, "left"), (None, "left"), (32 * mm, "left"), (36 * mm, "left")]
    return [*flow, _Grid(columns, rows, header=True)]


# --- PDF/A -------------------------------------------------------------------------------------


@cache
def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def make_pdfa(source: bytes, out: Path, *, title: str, author: str, exported_at: dt.datetime) -> None:
    """Add what PDF/A-2u needs to ReportLab's output and write the file."""
    with pikepdf.open(io.BytesIO(source)) as pdf:
        profile = pdf.make_stream(_srgb_profile())
        profile.N = 3
        pdf.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,
                    OutputConditionIdentifier="sRGB IEC61966-2.1",
                    Info="sRGB IEC61966-2.1",
                    DestOutputProfile=profile,
                )
            ]
        )
        pdf.Root.Lang = "de-DE"
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["dc:language"] = ["de-DE"]
            meta["pdf:Producer"] = "leokop (ReportLab, pikepdf)"
            meta["xmp:CreatorTool"] = "leokop"
            stamp = to_berlin(exported_at).isoformat(timespec="seconds")
            meta["xmp:CreateDate"] = stamp
            meta["xmp:ModifyDate"] = stamp
            meta["xmp:MetadataDate"] = stamp
            meta["pdfaid:part"] = PDFA_PART
            meta["pdfaid:conformance"] = PDFA_CONFORMANCE
        pdf.save(out, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)


# --- text of the sheets -------------------------------------------------------------------------


def page_texts(source: Path | bytes) -> list[str]:
    """Each page's text as PDFium (the PDF engine of Chromium) reads it back, without any whitespace
    (layout tools and re-saving move spaces and line breaks, never letters)."""
    document = pypdfium2.PdfDocument(source)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            text_page = page.get_textpage()
            texts.append(_squeeze(text_page.get_text_range()))
            text_page.close()
            page.close()
        return texts
    finally:
        document.close()


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def text_hash(texts: list[str]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


# --- the whole thing ----------------------------------------------------------------------------


def render(
    document: LogDocument,
    codes: dict[dt.date, str],
    out: Path,
    *,
    base_url: str,
    progress: Callable[[int], None] | None = None,
) -> Rendered:
    """Write the PDF/A of `document` to `out`; `codes` holds each sheet's verification code."""
    buffer = io.BytesIO()
    template = _LogTemplate(buffer, document, codes, base_url, progress)
    template.build(template.story())
    make_pdfa(
        buffer.getvalue(),
        out,
        title=f"{W.TITLE} – {document.cover.apprentice}",
        author=document.cover.apprentice,
        exported_at=document.cover.exported_at,
    )
    return Rendered(
        pages=template.page,
        sheets=tuple(SheetPages(monday, code, first, last) for monday, code, first, last in template.sheet_pages),
    )
