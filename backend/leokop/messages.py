"""The one catalogue of German messages that Python code refers to by code (templates hold the rest)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # Generic field problems (leokop.web.forms)
    "required": "Bitte ausfüllen.",
    "too_long": "Höchstens {max_length} Zeichen.",
    "too_short": "Mindestens {min_length} Zeichen.",
    "invalid_number": "Bitte eine ganze Zahl eingeben.",
    "out_of_range": "Der Wert liegt außerhalb des erlaubten Bereichs.",
    "invalid_date": "Bitte ein Datum im Format TT.MM.JJJJ eingeben.",
    "invalid_choice": "Bitte einen der angebotenen Werte wählen.",
    "invalid_email": "Bitte eine gültige E-Mail-Adresse eingeben.",
    "invalid": "Diese Eingabe ist ungültig.",
    "invalid_characters": "Der Text enthält ein Steuerzeichen, das nicht gespeichert werden kann. Bitte entfernen.",
    # Accounts
    "login_failed": "E-Mail-Adresse oder Passwort ist falsch.",
    "login_locked": "Zu viele Fehlversuche. Bitte warten Sie {minutes} Minuten und versuchen Sie es dann erneut.",
    "password_too_short": "Das Passwort braucht mindestens {min_length} Zeichen.",
    "password_too_long": "Das Passwort darf höchstens {max_length} Zeichen lang sein.",
    "password_mismatch": "Die beiden Passwörter stimmen nicht überein.",
    "password_wrong": "Das aktuelle Passwort ist falsch.",
    "password_same_as_email": "Das Passwort darf nicht die E-Mail-Adresse sein.",
    "email_taken": "Für diese E-Mail-Adresse gibt es bereits ein Konto.",
    "role_not_allowed": "Diese Rolle können Sie nicht einladen.",
    "token_invalid": "Dieser Link ist ungültig oder wurde bereits benutzt.",
    "token_expired": "Dieser Link ist abgelaufen. Bitte fordern Sie einen neuen an.",
    # Organisations and contracts
    "end_before_start": "Das Ende muss nach dem Beginn liegen.",
    "contract_too_long": "Eine Ausbildung dauert höchstens 4 Jahre.",
    "daily_hours_range": "Bitte eine tägliche Arbeitszeit zwischen 1 und 10 Stunden angeben (z. B. 8 oder 7:48).",
    "minor_daily_hours": "Für Minderjährige höchstens 8 Stunden am Tag (§ 8 JArbSchG).",
    "trainer_required": "Bitte mindestens eine Ausbilderin oder einen Ausbilder wählen.",
    "apprentice_unknown": "Bitte eine Auszubildende oder einen Auszubildenden aus Ihrem Betrieb wählen.",
    "contract_overlap": "Für diese Person gibt es in diesem Zeitraum bereits einen Ausbildungsvertrag.",
    "class_name_taken": "Diese Klasse gibt es an Ihrer Schule bereits.",
    # Logbook
    "week_locked": "Diese Woche ist eingereicht oder abgezeichnet und kann nicht geändert werden – erst wenn sie zurückgegeben oder wieder geöffnet wird.",
    "week_in_future": "Eine Woche in der Zukunft kann noch nicht geschrieben werden.",
    "duration_invalid": "Bitte die Dauer als Stunden eingeben, z. B. 1:30, 2 oder 0,5.",
    "duration_positive": "Die Dauer muss größer als 0 sein.",
    "duration_too_long": "Ein Eintrag darf höchstens 12 Stunden dauern.",
    "day_too_long": "Ein Tag hat höchstens 24 Stunden: Die Einträge dieses Tages wären länger.",
    "outside_contract": "Dieser Tag liegt außerhalb Ihres Ausbildungsvertrags.",
    "day_required": "Bitte einen Tag wählen.",
    "other_absence_text": "Bitte kurz angeben, was für eine Abwesenheit es war.",
    "nothing_to_copy": "Es gibt noch nichts, was kopiert werden könnte.",
    "submit_blocked": "Die Woche ist noch nicht vollständig.",
    "future_week": "Eine Woche in der Zukunft kann noch nicht eingereicht werden.",
    "missing_status": "Für diesen Tag fehlt noch ein Eintrag oder ein Status (z. B. Urlaub, krank).",
    "school_topics_missing": "Berufsschultag ohne Unterrichtsthemen: Bitte einen Eintrag „Berufsschule“ ergänzen.",
    "no_entries": "Die Woche hat noch keinen Eintrag.",
    "file_empty": "Bitte eine Datei auswählen.",
    "file_too_large": "Die Datei ist größer als 10 MB. Bitte ein kleineres Foto oder PDF wählen.",
    "file_type": "Nur Fotos (JPEG, PNG, WebP) und PDF-Dateien sind möglich.",
    "status_changed_elsewhere": "Der Status dieses Tages wurde inzwischen auf einem anderen Gerät geändert. Hier sehen Sie den gespeicherten Stand – bitte bei Bedarf erneut wählen.",
    # Signing
    "week_not_submitted": "Diese Woche ist nicht eingereicht.",
    "week_returned_meanwhile": "Diese Woche wurde inzwischen zurückgegeben.",
    "week_approved_meanwhile": "Diese Woche wurde inzwischen abgezeichnet.",
    "week_not_approved": "Diese Woche ist noch nicht abgezeichnet.",
    "return_reason_required": "Bitte begründen, was überarbeitet werden soll.",
    "reopen_reason_required": "Bitte begründen, warum die Woche wieder geöffnet wird.",
    "nothing_selected": "Bitte mindestens eine Woche auswählen.",
    "substitution_in_past": "Die Vertretung muss heute oder später enden.",
    "substitution_too_long": "Eine Vertretung dauert höchstens ein Jahr.",
    "audit_record_edited": "Ein Eintrag im Prüfprotokoll dieser Woche wurde nachträglich verändert.",
    "signature_without_record": "Eine Unterschrift passt nicht zu ihrem Eintrag im Prüfprotokoll.",
    "signature_missing": "Eine Unterschrift aus dem Prüfprotokoll fehlt in der Datenbank.",
    "changed_after_approval": "Der Inhalt wurde nach der Abzeichnung verändert.",
    "approval_missing": "Die Woche gilt als abgezeichnet, aber es gibt keine gültige Abzeichnung.",
    "entry_changed_elsewhere": "Dieser Eintrag wurde inzwischen auf einem anderen Gerät geändert.",
    # Lesson topics
    "topic_day_outside_week": "Bitte einen Tag dieser Woche wählen.",
    "topic_day_needed": "Im Kalender der Klasse steht für diese Woche kein Berufsschultag. Bitte den Tag wählen, an dem das Thema unterrichtet wurde.",
    "topics_week_in_future": "Unterrichtsthemen können erst veröffentlicht werden, wenn die Woche begonnen hat.",
    "topic_changed_elsewhere": "Dieses Thema wurde inzwischen von jemand anderem geändert. Hier sehen Sie den gespeicherten Stand – bitte bei Bedarf erneut ändern.",
    # School calendar
    "period_too_long": "Ein Zeitraum darf höchstens 4 Jahre lang sein.",
    "weekdays_required": "Bitte mindestens einen Wochentag wählen.",
    "outside_contract_plan": "Der Zeitraum muss innerhalb des Ausbildungsvertrags liegen.",
    "plan_too_long": "Ein geplanter Zeitraum dauert höchstens ein Jahr.",
    "plan_overlap": "In diesem Zeitraum ist schon etwas geplant. Bitte den vorhandenen Eintrag ändern.",
    "import_too_large": "Die Datei ist größer als 512 KB.",
    "import_empty": "Die Datei enthält keine Termine.",
    "import_too_many": "Die Datei enthält mehr als {max} Zeiträume.",
    "import_end_before_start": "Das Ende liegt vor dem Beginn.",
    "import_date_range": "Das Datum liegt nicht zwischen {first} und {last}.",
    "import_period_too_long": "Der Zeitraum ist länger als 4 Jahre.",
    "import_missing": "Die Spalte „{column}“ ist leer.",
    "import_date_invalid": "„{value}“ ist kein gültiges Datum (TT.MM.JJJJ oder JJJJ-MM-TT).",
    "import_weekday_invalid": "„{value}“ ist kein Wochentag (z. B. Dienstag, Di oder „Di, Do“).",
    "import_columns": "Die Spalten wurden nicht erkannt (gefunden: {found}). Erwartet wird „Datum“, oder „von“ und „bis“, oder „Wochentag“, „von“ und „bis“.",
    "ical_invalid": "Die iCal-Datei ist fehlerhaft und kann nicht gelesen werden.",
    "ical_start_invalid": "Der Beginn des Termins (DTSTART) fehlt oder ist kein Datum.",
    "ical_event_invalid": "Dieser Termin ist fehlerhaft und kann nicht gelesen werden.",
    "ical_rrule_unsupported": "Nur wöchentliche Serien (FREQ=WEEKLY) können übernommen werden.",
    "ical_rrule_endless": "Die Serie hat kein Ende (UNTIL oder COUNT fehlt). Bitte mit Enddatum exportieren.",
    "import_signature_invalid": "Die Vorschau passt nicht mehr zur Datei. Bitte die Datei erneut hochladen.",
    "import_has_errors": "Die Datei enthält Fehler. Es wurde nichts gespeichert – bitte die Datei korrigieren und erneut hochladen.",
    "import_nothing_new": "Alle Zeiträume dieser Datei gibt es bereits: Die Datei wurde schon importiert. Es wurde nichts gespeichert.",
    # Push notifications
    "push_endpoint_refused": "Dieser Browser meldet einen Push-Dienst, an den leokop nicht sendet. Bitte einen aktuellen Browser (Chrome, Edge, Firefox, Safari) verwenden.",
    "push_endpoint_unreachable": "Der Push-Dienst dieses Browsers ist gerade nicht erreichbar. Bitte später noch einmal einschalten.",
    "push_keys_invalid": "Die Schlüssel dieses Geräts sind ungültig. Bitte Benachrichtigungen im Browser aus- und wieder einschalten.",
    "device_label": "{browser} auf {system}",
    "device_unknown": "Unbekanntes Gerät",
}


def message(code: str, **params: object) -> str:
    """The German text for a code; unknown codes fall back to a generic sentence, never to the code."""
    text = MESSAGES.get(code, MESSAGES["invalid"])
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
