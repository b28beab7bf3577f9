"""The German wording of the PDF (the document's template text, kept in one place like the templates).
Day statuses and signers' roles are the app's own labels, read from its Jinja label templates."""

from leokop.web.pages import ENVIRONMENT

TITLE = "Ausbildungsnachweis"
LEGAL_BASIS = "Schriftlicher bzw. elektronischer Ausbildungsnachweis nach § 13 Satz 2 Nr. 7 BBiG / § 13 Satz 2 Nr. 7 HwO"

STATUS: dict[str, str] = ENVIRONMENT.get_template("logbook/labels.html").module.STATUS_LABELS
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
ROLE: dict[str, str] = ENVIRONMENT.get_template("signing/labels.html").module.SIGNER_ROLES
LOG_FORM = {"electronic": "elektronisch", "written": "schriftlich"}
LOG_MODE = {"daily": "täglich", "weekly": "wöchentlich"}
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
PAPER_SIGNATURES = (
    "Datum, Unterschrift Auszubildende/r",
    "Datum, Unterschrift Ausbildende/r bzw. Ausbilder/in",
    "ggf. Unterschrift gesetzliche/r Vertreter/in",
)
