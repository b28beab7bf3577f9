"""The German wording of the PDF (the document's template text, kept in one place like the templates)."""

TITLE = "Ausbildungsnachweis"
LEGAL_BASIS = "Schriftlicher bzw. elektronischer Ausbildungsnachweis nach § 13 Satz 2 Nr. 7 BBiG / § 13 Satz 2 Nr. 7 HwO"

STATUS = {
    "company": "Betrieb",
    "school": "Berufsschule",
    "inter_company": "Überbetriebliche Ausbildung",
    "vacation": "Urlaub",
    "sick": "Krank",
    "holiday": "Feiertag",
    "time_off": "Freizeitausgleich",
    "other_absence": "Sonstige Abwesenheit",
}
CATEGORY = {
    "company": "Betriebliche Tätigkeiten",
    "instruction": "Unterweisungen, betrieblicher Unterricht",
    "school": "Berufsschule (Unterrichtsthemen)",
    "inter_company": "Überbetriebliche Ausbildung",
}
STATE = {
    "missing": "nicht angelegt",
    "draft": "Entwurf, nicht eingereicht",
    "submitted": "eingereicht, nicht abgezeichnet",
    "returned": "zurückgegeben zur Überarbeitung",
    "approved": "abgezeichnet",
}
SIGNATURE_KIND = {
    "approval": "Abgezeichnet",
    "cosign": "Gegengezeichnet (Berufsschule)",
    "acknowledgement": "Zur Kenntnis genommen",
}
ROLE = {
    "trainer": "Ausbilder/in",
    "instructor": "Ausbildungsbeauftragte/r",
    "substitute": "Vertretung",
    "company_admin": "Ausbildungsleitung",
    "teacher": "Lehrkraft",
    "guardian": "Erziehungsberechtigte/r",
}
LOG_FORM = {"electronic": "elektronisch", "written": "schriftlich"}
LOG_MODE = {"daily": "täglich", "weekly": "wöchentlich"}
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
PAPER_SIGNATURES = (
    "Datum, Unterschrift Auszubildende/r",
    "Datum, Unterschrift Ausbildende/r bzw. Ausbilder/in",
    "ggf. Unterschrift gesetzliche/r Vertreter/in",
)
