"""The data export's document (format "leokop-datenexport/1"): msgspec Structs that are both the
encoder's input and, through msgspec.json.schema, the JSON Schema published at /api/v1/export-schema;
plus the view model of the export page.

A change that could break a reader (a field removed, renamed or changing its type, a new value of a
fixed list) is a new format: FORMAT and SCHEMA_VERSION go up together. New optional fields do not."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from leokop.logbook.schemas import Category, Status, WeekState

FORMAT = "leokop-datenexport/1"
SCHEMA_VERSION = 1
JSON_NAME = "leokop-datenexport.json"


def _doc(text: str) -> Meta:
    return Meta(description=text)


Date = Annotated[dt.date, Meta(extra_json_schema={"format": "date"})]
Timestamp = Annotated[dt.datetime, Meta(extra_json_schema={"format": "date-time"}, description="UTC, RFC 3339")]
ZipPath = Annotated[str, _doc("Pfad der Datei innerhalb der ZIP-Datei, z. B. anhaenge/nachweis/12/2026-03-02/7-foto.jpg")]
Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="SHA-256 der Datei, hexadezimal")]


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """Das Konto der Person, die exportiert hat."""

    id: int
    name: str
    email: str
    role: Annotated[str, _doc("Rolle im Code-Namen: apprentice = Auszubildende/r")]
    birth_date: Date | None
    phone: str
    created_at: Timestamp
    company: Annotated[str | None, _doc("Betrieb, dem das Konto zurzeit zugeordnet ist (None: keinem mehr)")]


class ReadingConsent(msgspec.Struct, frozen=True, kw_only=True):
    """Ob die Lehrkräfte der Klasse den Nachweis lesen dürfen (K1): Zustimmung der/des Auszubildenden,
    nicht vom Betrieb widerrufen."""

    teachers_may_read: bool
    apprentice_consented_at: Timestamp | None
    company_withdrawn_at: Timestamp | None


class Day(msgspec.Struct, frozen=True, kw_only=True):
    """Der Status eines Tages, wie er gespeichert wurde (Tage ohne Status fehlen)."""

    date: Date
    status: Status
    note: Annotated[str, _doc("Text bei „sonstige Abwesenheit“")]


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Zeile des Nachweises."""

    id: int
    date: Annotated[Date | None, _doc("None bei wöchentlicher Form")]
    category: Category
    text: str
    minutes: int


class Attachment(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Datei (Foto, PDF) an einer Woche, einem Eintrag oder einer Nachricht."""

    id: int
    filename: str
    content_type: str
    size: Annotated[int, _doc("Größe in Bytes")]
    sha256: Sha256
    path: Annotated[str | None, _doc("Pfad in der ZIP-Datei; None, wenn die Datei im Speicher fehlte")]
    entry_id: Annotated[int | None, _doc("Eintrag, zu dem die Datei gehört (nur im Nachweis)")] = None
    uploaded_at: Timestamp


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Abzeichnung (approval), Gegenzeichnung der Schule (cosign) oder Kenntnisnahme der
    Erziehungsberechtigten (acknowledgement). content_hash ist der SHA-256 des unterschriebenen
    Inhalts; voided_at ist gesetzt, wenn die Woche danach wieder geöffnet wurde."""

    kind: Literal["approval", "cosign", "acknowledgement"]
    signer_name: str
    signer_role: str
    on_behalf_of: Annotated[str, _doc("Name der vertretenen Person, sonst leer")]
    signed_at: Timestamp
    content_hash: Sha256
    voided_at: Timestamp | None
    void_reason: str


class Return(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Rückgabe (returned) oder Wiederöffnung (reopened) mit Begründung, aus dem Protokoll."""

    action: Literal["returned", "reopened"]
    by_name: str
    by_role: str
    at: Timestamp
    reason: str


class Week(msgspec.Struct, frozen=True, kw_only=True):
    """Ein Wochennachweis mit fortlaufender Nummer (ab Vertragsbeginn), Kalenderwoche und
    Ausbildungsjahr."""

    number: int
    monday: Date
    iso_year: int
    iso_week: Annotated[int, _doc("Kalenderwoche (KW)")]
    training_year: int
    state: WeekState
    submitted_at: Timestamp | None
    return_reason: Annotated[str, _doc("die letzte Begründung einer Rückgabe oder Wiederöffnung")]
    days: list[Day]
    entries: list[Entry]
    signatures: list[Signature]
    returns: list[Return]
    attachments: list[Attachment]


class AbsenceEvent(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Änderung an einer Fehlzeit: wer, wann, was."""

    action: str
    actor_name: str
    at: Timestamp
    details: Annotated[dict[str, Any], _doc("Einzelheiten je nach action, z. B. date, reason, comment")]


class Absence(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Fehlzeit in der Berufsschule, wie die Schule sie erfasst und die Lehrkraft entschieden hat."""

    id: int
    date: Date
    whole_day: bool
    first_lesson: int | None
    last_lesson: int | None
    note: str
    status: Annotated[str, _doc("open | excuse_requested | excused | unexcused")]
    company_reason: Annotated[str, _doc("'' | sick | company_assignment")]
    company_note: str
    recorded_by: str
    created_at: Timestamp
    updated_at: Timestamp
    history: list[AbsenceEvent]


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Nachricht in der Unterhaltung mit Betrieb und Schule, an der die Person teilnimmt."""

    id: int
    author_name: str
    written_at: Timestamp
    body: str
    attachments: list[Attachment]


class Contract(msgspec.Struct, frozen=True, kw_only=True):
    """Ein Ausbildungsvertrag mit dem ganzen Nachweis, den Fehlzeiten und den Nachrichten."""

    id: int
    company: str
    occupation: str
    start_date: Date
    end_date: Date
    log_form: Annotated[str, _doc("electronic | written")]
    log_mode: Annotated[str, _doc("daily | weekly")]
    daily_minutes: int
    school: str | None
    school_class: str | None
    trainers: list[str]
    instructors: list[str]
    reading_consent: ReadingConsent
    absence_basis: Annotated[str, _doc("'' | consent | contract: worauf der Betrieb Fehlzeiten sieht")]
    share_sick_days: bool
    log_pdf: Annotated[str | None, _doc("Pfad des Nachweises als PDF/A in der ZIP-Datei")]
    weeks: list[Week]
    absences: list[Absence]
    messages: list[Message]


class Phrase(msgspec.Struct, frozen=True, kw_only=True):
    """Ein gespeicherter Textbaustein."""

    text: str
    created_at: Timestamp


class NotificationSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Einstellungen für Push-Benachrichtigungen (Ruhezeit in deutscher Zeit)."""

    muted_kinds: list[str]
    quiet_from: int
    quiet_until: int
    weekend_quiet: bool


class File(msgspec.Struct, frozen=True, kw_only=True):
    """Eine Datei der ZIP-Datei (außer dieser JSON-Datei selbst), mit Prüfsumme."""

    path: ZipPath
    size: int
    sha256: Sha256


class DataExportDocument(msgspec.Struct, frozen=True, kw_only=True):
    """Alles, was leokop über eine Person gespeichert hat (L16): die Datei leokop-datenexport.json
    im Datenexport. Das Format ist versioniert: format und schema_version ändern sich, sobald ein
    Programm, das die Datei liest, angepasst werden müsste."""

    format: Annotated[Literal["leokop-datenexport/1"], _doc("Kennung des Formats (FORMAT)")]
    schema_version: Annotated[Literal[1], _doc("Version des Schemas; steigt mit dem Format")]
    exported_at: Timestamp
    profile: Profile
    contracts: list[Contract]
    phrases: list[Phrase]
    notification_settings: NotificationSettings
    files: list[File]


def json_schema(schema_url: str) -> dict[str, Any]:
    """The published JSON Schema of the document, with its format and version."""
    schema = msgspec.json.schema(DataExportDocument)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_url,
        "title": "leokop-Datenexport",
        "version": SCHEMA_VERSION,
        "x-leokop-format": FORMAT,
        **schema,
    }


# --- the export page -------------------------------------------------------------------------------


class DataExportView(msgspec.Struct, frozen=True, kw_only=True):
    """One of the person's exports on the page."""

    id: int
    state: str  # queued | running | done | failed | expired
    created_at: dt.datetime
    finished_at: dt.datetime | None
    size: int
    error: str
    delete_at: dt.datetime | None  # when the file is (or was) deleted

    @property
    def pending(self) -> bool:
        return self.state in ("queued", "running")
