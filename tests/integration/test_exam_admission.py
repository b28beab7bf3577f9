"""Exam admission through HTTP: the completeness check page, share links (validity, expiry,
revocation, access log, hashed tokens) and the chamber's read-only view, which opens exactly one
contract's log and nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from leokop.audit import service as audit
from leokop.audit.tables import AuditRecord
from leokop.contracts.tables import Contract
from leokop.exam_admission.tables import ShareLink
from leokop.exports import service as exports
from leokop.exports.tables import Export
from leokop.logbook import calendar
from leokop.logbook import service as logbook
from leokop.notifications.tables import Notification
from leokop.signing import service as signing
from leokop.timeutil import today_berlin, utcnow
from tests.helpers import (
    APPRENTICE,
    COMPANY_ADMIN,
    INSTRUCTOR,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TRAINER,
    field_error,
    input_value,
    login,
    logout,
    post,
)
from tests.integration.test_signing import as_user, contract_of, user_id, write_and_submit

MONDAY = dt.date(2026, 6, 1)  # a week inside Finn's and Lena's contracts, in the past
THIS_MONDAY = calendar.monday_of(today_berlin())


def page_url(contract: int) -> str:
    return f"/contracts/{contract}/pruefung"


def approve(run, contract: int, monday: dt.date) -> None:
    run(signing.approve, as_user(run, TRAINER), contract, monday)


def create_link(client, contract: int, label: str = "IHK Frankfurt – Prüfungsausschuss", days: str = "60") -> str:
    """Create a share link as the signed-in user; returns the full URL shown once."""
    response = post(client, page_url(contract) + "/freigaben", {"label": label, "valid_days": days})
    assert response.status_code == 200, response.text
    match = re.search(r'id="copy-link" type="text" readonly value="([^"]+)"', response.text)
    assert match, "the new link is shown"
    return match.group(1)


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def shared_path(client, contract: int) -> str:
    """The path of a new share link the trainer made, for a visitor without an account."""
    login(client, TRAINER)
    path = path_of(create_link(client, contract))
    logout(client)
    return path


def share_row(run, contract: int) -> dict:
    return run(ShareLink.select().where(ShareLink.contract == contract).order_by(ShareLink.id, ascending=False).first)


def audit_actions(run, contract: int, prefix: str = "share.") -> list[tuple[str, str]]:
    rows = run(AuditRecord.select(AuditRecord.action, AuditRecord.payload).where(AuditRecord.contract == contract).order_by(AuditRecord.seq))
    return [(r["action"], r["payload"]) for r in rows if r["action"].startswith(prefix)]


# --- the completeness check ---------------------------------------------------------------------


def test_the_check_lists_missing_and_unapproved_weeks_with_links_to_each_week(client, run):
    finn = write_and_submit(run, APPRENTICE, MONDAY)
    login(client, TRAINER)
    response = client.get(page_url(finn))
    assert response.status_code == 200
    html = response.text
    assert "Prüfungsanmeldung" in html and "Alles vollständig" not in html
    # Finn's contract began on Friday 1 August 2025: sheet 1 is KW 31/2025, from Monday 28 July.
    assert f'href="/contracts/{finn}/log/2025-07-28">KW 31/2025 (Nachweis Nr. 1)</a>' in html
    assert "28.07.2025 – 03.08.2025" in html
    number = calendar.sheet_number(dt.date(2025, 8, 1), MONDAY)
    assert f"KW 23/2026 (Nachweis Nr. {number})</a>: eingereicht, noch nicht freigegeben" in html
    weeks = len([m for m in calendar.contract_weeks(dt.date(2025, 8, 1), dt.date(2028, 7, 31)) if m <= today_berlin()])
    assert f"Fehlende Wochen</a>: <strong>{weeks - 1}</strong>" in html
    assert "Noch nicht freigegeben</a>: <strong>1</strong>" in html
    # Nothing of the future: next week's sheet is not asked for.
    assert f"/log/{(THIS_MONDAY + dt.timedelta(days=7)).isoformat()}" not in html


def test_a_school_day_without_topics_and_a_gap_are_listed_with_their_dates(client, run):
    finn = contract_of(run, APPRENTICE)
    apprentice = as_user(run, APPRENTICE)
    run(logbook.set_day_status, apprentice, finn, MONDAY, MONDAY, "school", "")
    run(logbook.add_entry, apprentice, finn, MONDAY, MONDAY, "company", "Nur Betrieb eingetragen", "2:00")
    login(client, TRAINER)
    html = client.get(page_url(finn)).text
    assert "Berufsschultage ohne Unterrichtsthemen</a>: <strong>1</strong>" in html
    assert "Mo 01.06.2026 – Berufsschultag ohne Unterrichtsthemen" in html
    assert f'href="/contracts/{finn}/log/2026-06-01#day-2026-06-02"' in html  # Tuesday: a gap
    assert "Di 02.06.2026 – weder Status noch Eintrag" in html


def test_a_complete_log_says_so(client, run):
    finn = contract_of(run, APPRENTICE)
    run(Contract.update({Contract.start_date: THIS_MONDAY}).where(Contract.id == finn))
    write_and_submit(run, APPRENTICE, THIS_MONDAY)
    approve(run, finn, THIS_MONDAY)
    login(client, COMPANY_ADMIN)
    html = client.get(page_url(finn)).text
    assert "Alles vollständig" in html and "Fehlende Wochen" not in html


def test_the_check_costs_the_same_queries_for_a_short_and_a_long_log(client, run, count_queries):
    finn = write_and_submit(run, APPRENTICE, MONDAY)
    login(client, TRAINER)
    client.get(page_url(finn))
    count_queries.clear()
    client.get(page_url(finn))
    few = len(count_queries)
    for weeks_later in (1, 2, 3):
        write_and_submit(run, APPRENTICE, MONDAY + dt.timedelta(days=7 * weeks_later))
    create_link(client, finn)
    count_queries.clear()
    assert client.get(page_url(finn)).status_code == 200
    assert len(count_queries) == few


def test_only_the_company_prepares_the_exam_and_the_contract_page_links_to_it(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    assert f'href="/contracts/{finn}/pruefung"' in client.get(f"/contracts/{finn}").text
    logout(client)
    for email in (APPRENTICE, INSTRUCTOR):
        login(client, email)
        assert client.get(page_url(finn)).status_code == 403
        assert post(client, page_url(finn) + "/freigaben", {"label": "x", "valid_days": "60"}).status_code == 403
        if email == APPRENTICE:
            assert "/pruefung" not in client.get(f"/contracts/{finn}").text
        logout(client)
    login(client, SMALL_TRAINER)  # another company: the contract does not exist for them
    response = client.get(page_url(finn))
    assert response.status_code == 404 and "Finn Schneider" not in response.text
    assert post(client, page_url(finn) + "/freigaben", {"label": "x", "valid_days": "60"}).status_code == 404
    assert run(ShareLink.count()) == 0


# --- share links ---------------------------------------------------------------------------------


def test_a_link_is_shown_once_and_only_its_hash_is_stored(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    url = create_link(client, finn)
    assert url.startswith("http://127.0.0.1:8000/freigabe/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 40
    row = share_row(run, finn)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row) and token not in str(run(AuditRecord.select().where(AuditRecord.contract == finn)))
    assert row["label"] == "IHK Frankfurt – Prüfungsausschuss" and row["created_by"] == user_id(run, TRAINER)
    expires = row["expires_at"].replace(tzinfo=dt.timezone.utc) if row["expires_at"].tzinfo is None else row["expires_at"]
    assert abs((expires - utcnow()) - dt.timedelta(days=60)) < dt.timedelta(minutes=1)
    # The page lists it without the link: reloading shows the state, never the token again.
    html = client.get(page_url(finn)).text
    assert token not in html
    assert f"gültig bis {(utcnow() + dt.timedelta(days=60)).astimezone(dt.timezone(dt.timedelta(hours=1))).strftime('%d.%m.')}" in html
    assert "0 Aufrufe" in html
    assert [a for a, _ in audit_actions(run, finn)] == ["share.created"]
    notice = run(Notification.select().where(Notification.user == user_id(run, APPRENTICE), Notification.kind == "share_created").first)
    assert notice is not None and "Prüfungsanmeldung" in notice["title"] and "IHK Frankfurt" in notice["body"]


def test_validity_is_14_to_200_days_and_bad_input_is_kept_with_a_german_message(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    for days in ("13", "201", "0", "-5", "sechzig", "60.5"):
        response = post(client, page_url(finn) + "/freigaben", {"label": "IHK Kassel", "valid_days": days})
        assert response.status_code == 422, days
        assert field_error(response.text, "valid_days") == "Bitte eine Gültigkeit zwischen 14 und 200 Tagen angeben.", days
        assert input_value(response.text, "valid_days") == days
        assert input_value(response.text, "label") == "IHK Kassel"
    response = post(client, page_url(finn) + "/freigaben", {"label": "   ", "valid_days": "30"})
    assert response.status_code == 422 and "Bitte angeben, für wen der Link ist" in field_error(response.text, "label")
    assert input_value(response.text, "valid_days") == "30"
    response = post(client, page_url(finn) + "/freigaben", {"label": "x" * 121, "valid_days": "30"})
    assert response.status_code == 422 and field_error(response.text, "label") == "Höchstens 120 Zeichen."
    assert run(ShareLink.count()) == 0
    for days in ("14", "200"):
        create_link(client, finn, days=days)
    assert run(ShareLink.count()) == 2
    # The form proposes 60 days.
    assert input_value(client.get(page_url(finn)).text, "valid_days") == "60"


def test_the_chamber_reads_the_log_without_an_account_and_every_access_is_logged(client, run):
    finn = write_and_submit(run, APPRENTICE, MONDAY, topic="Lernfeld 5: Normalisierung bis 3NF")
    approve(run, finn, MONDAY)
    path = shared_path(client, finn)
    client.cookies.clear()
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    for fact in ("Finn Schneider", "Rhein-Main Maschinenbau AG", "Fachinformatiker", "01.08.2025 – 31.07.2028"):
        assert fact in html, fact
    number = calendar.sheet_number(dt.date(2025, 8, 1), MONDAY)
    assert f'href="{path}/wochen/2026-06-01">Nr. {number}</a>' in html
    assert "Markus Weber (Ausbilder/in)" in html
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers  # no session, no CSRF cookie: nothing is left behind
    assert 'href="/contracts' not in html and 'href="/log' not in html and "<script" not in html
    week = client.get(f"{path}/wochen/2026-06-01")
    assert week.status_code == 200
    for fact in ("Lernfeld 5: Normalisierung bis 3NF", "6:00 h", "Berufsschule", "Urlaub", "Abgezeichnet", "Markus Weber", f"Nachweis Nr. {number}"):
        assert fact in week.text, fact
    assert week.headers["referrer-policy"] == "no-referrer" and week.headers["cache-control"] == "no-store"
    assert "<form" not in week.text and "<form" not in html  # read-only: nothing to approve, return or reopen
    row = share_row(run, finn)
    assert row["access_count"] == 2 and row["last_access_at"] is not None
    accesses = [payload for action, payload in audit_actions(run, finn) if action == "share.accessed"]
    assert len(accesses) == 2
    assert '"page":"overview"' in accesses[0] and '"page":"week:2026-06-01"' in accesses[1]
    assert run(audit.verify, finn)[1] == []  # the chain holds with the accesses in it
    login(client, TRAINER)
    assert "2 Aufrufe, zuletzt" in client.get(page_url(finn)).text


def test_a_link_gives_no_access_to_another_contracts_weeks(client, run):
    lena = contract_of(run, SMALL_APPRENTICE)
    lena_user = as_user(run, SMALL_APPRENTICE)
    run(logbook.set_week_status, lena_user, lena, MONDAY, "company", "")
    run(logbook.add_entry, lena_user, lena, MONDAY, None, "company", "GEHEIM: Lenas Schaltschrank", "8:00")
    finn = contract_of(run, APPRENTICE)
    path = shared_path(client, finn)
    # The same Monday through Finn's link is Finn's (empty) week, nothing of Lena's.
    response = client.get(f"{path}/wochen/{MONDAY.isoformat()}")
    assert response.status_code == 200
    assert "GEHEIM" not in response.text and "Lena" not in response.text and "Elektro Becker" not in response.text
    assert "Finn Schneider" in response.text
    # A Monday before Finn's contract (Mia's contract began in 2024) is no week of this log.
    response = client.get(f"{path}/wochen/2024-08-05")
    assert response.status_code == 404 and "Woche nicht gefunden" in response.text
    # Not a Monday, or in the future: nothing either.
    assert client.get(f"{path}/wochen/2026-06-02").status_code == 404
    assert client.get(f"{path}/wochen/{(THIS_MONDAY + dt.timedelta(days=14)).isoformat()}").status_code == 404
    # A token is no key to the rest of the application.
    assert client.get(f"/contracts/{finn}/log", follow_redirects=False).status_code == 303
    assert client.get(f"/contracts/{lena}", follow_redirects=False).status_code == 303


def test_an_expired_link_shows_nothing_and_counts_nothing(client, run):
    finn = contract_of(run, APPRENTICE)
    path = shared_path(client, finn)
    assert client.get(path).status_code == 200
    run(ShareLink.update({ShareLink.expires_at: utcnow() - dt.timedelta(seconds=1)}).where(ShareLink.contract == finn))
    for url in (path, f"{path}/wochen/{MONDAY.isoformat()}", f"{path}/pdf"):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "Dieser Link ist abgelaufen oder wurde widerrufen." in response.text
        assert "Finn" not in response.text and "Rhein-Main" not in response.text
        assert response.headers["cache-control"] == "no-store"
    assert share_row(run, finn)["access_count"] == 1
    login(client, TRAINER)
    html = client.get(page_url(finn)).text
    assert "abgelaufen" in html and "Widerrufen<span" not in html


def test_a_revoked_link_stops_at_once_and_revoking_is_logged(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    path = path_of(create_link(client, finn))
    link_id = share_row(run, finn)["id"]
    assert client.get(path).status_code == 200
    response = post(client, f"{page_url(finn)}/freigaben/{link_id}/widerrufen")
    assert response.status_code == 303 and response.headers["location"] == f"{page_url(finn)}?widerrufen=1#freigaben"
    assert post(client, f"{page_url(finn)}/freigaben/{link_id}/widerrufen").status_code == 303  # twice is harmless
    row = share_row(run, finn)
    assert row["revoked_at"] is not None and row["revoked_by"] == user_id(run, TRAINER)
    assert [a for a, _ in audit_actions(run, finn)] == ["share.created", "share.accessed", "share.revoked"]
    html = client.get(page_url(finn) + "?widerrufen=1").text
    assert "widerrufen" in html and "1 Aufruf," in html
    response = client.get(path)
    assert response.status_code == 410 and "Dieser Link ist abgelaufen oder wurde widerrufen." in response.text
    # Revoking needs the CSRF token, and a link of another contract is not found through this one.
    assert client.post(f"{page_url(finn)}/freigaben/{link_id}/widerrufen", data={}, follow_redirects=False).status_code == 403
    lena = contract_of(run, SMALL_APPRENTICE)
    logout(client)
    login(client, SMALL_TRAINER)
    create_link(client, lena)
    lena_link = share_row(run, lena)["id"]
    logout(client)
    login(client, TRAINER)
    assert post(client, f"{page_url(finn)}/freigaben/{lena_link}/widerrufen").status_code == 404
    assert share_row(run, lena)["revoked_at"] is None


def test_an_unknown_token_is_404_with_the_same_german_page(client, run):
    for url in ("/freigabe/gibt-es-nicht", "/freigabe/gibt-es-nicht/wochen/2026-06-01", "/freigabe/gibt-es-nicht/pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Dieser Link ist abgelaufen oder wurde widerrufen." in response.text
    assert run(AuditRecord.count().where(AuditRecord.action == "share.accessed")) == 0


def test_the_pdf_download_says_so_when_there_is_no_export_yet(client, run):
    finn = contract_of(run, APPRENTICE)
    path = shared_path(client, finn)
    response = client.get(f"{path}/pdf")
    assert response.status_code == 404
    assert "noch kein PDF erstellt" in response.text
    assert [p for a, p in audit_actions(run, finn) if a == "share.accessed"][0].count('"page":"pdf"') == 1


def test_the_pdf_download_serves_the_newest_whole_log_export(client, run, app):
    finn = contract_of(run, APPRENTICE)
    mondays = calendar.contract_weeks(dt.date(2025, 8, 1), dt.date(2028, 7, 31))
    now = utcnow()
    ids = [
        run(Export.insert(Export(contract=finn, first_monday=mondays[0], last_monday=last, state="done", created_at=now)).returning(Export.id))[0]["id"]
        for last in (mondays[-1], mondays[-1], mondays[10])  # the newest covers only ten weeks: not the whole log
    ]
    var_dir = app.state.settings.var_dir
    for export_id, content in zip(ids, (b"%PDF-1.7 alt", b"%PDF-1.7 neu", b"%PDF-1.7 teil")):
        path = exports.export_path(export_id, var_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    path = shared_path(client, finn)
    assert 'href="' + path + '/pdf"' in client.get(path).text
    response = client.get(f"{path}/pdf")
    assert response.status_code == 200 and response.content == b"%PDF-1.7 neu"
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    assert '"page":"pdf"' in audit_actions(run, finn)[-1][1]
    assert share_row(run, finn)["access_count"] == 2


def test_the_export_button_starts_a_whole_log_export(client, run):
    finn = contract_of(run, APPRENTICE)
    login(client, TRAINER)
    html = client.get(page_url(finn)).text
    assert f'<form method="post" action="/contracts/{finn}/export"' in html
    response = post(client, f"/contracts/{finn}/export")
    assert response.status_code == 303 and response.headers["location"].startswith("/exports/")
