"""Where people find the PDF export and the verification: the log overview's "Als PDF exportieren"
and the week page's "Diese Woche als PDF" appear exactly for the roles that may export (policy
action "log.export"), never for teachers and guardians who read the log on screen only; the footer's
"Nachweis prüfen" is on every page, also without an account."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from leokop import demo
from leokop.accounts.service import load_user
from leokop.accounts.tables import User
from leokop.contracts.tables import Contract
from leokop.db import request_transaction
from leokop.exports.tables import ExportSheet
from leokop.logbook import calendar
from leokop.logbook import service as logbook
from leokop.policy import can
from leokop.timeutil import today_berlin
from tests.helpers import (
    APPRENTICE,
    COMPANY_ADMIN,
    GUARDIAN,
    INSTRUCTOR,
    SMALL_APPRENTICE,
    SMALL_TRAINER,
    TEACHER,
    TRAINER,
    login,
    post,
)

EXPORT_LINK = "Als PDF exportieren"
WEEK_BUTTON = "Diese Woche als PDF"
# (who, whose log, may export): the demo's readers of Finn's and of Lena's log.
READERS = [
    (APPRENTICE, APPRENTICE, True),
    (TRAINER, APPRENTICE, True),
    (INSTRUCTOR, APPRENTICE, True),
    (COMPANY_ADMIN, APPRENTICE, True),
    (SMALL_TRAINER, SMALL_APPRENTICE, True),
    (TEACHER, APPRENTICE, False),  # reads Finn's log with his consent, on screen only
    (GUARDIAN, SMALL_APPRENTICE, False),  # reads her minor daughter Lena's log, on screen only
]


@pytest.fixture(autouse=True)
def weeks(client, run) -> dict[str, tuple[int, dt.date]]:
    """The demo log (Finn's last four weeks) plus one week of Lena's: {apprentice: (contract, monday)}."""

    async def seed() -> dict[str, tuple[int, dt.date]]:
        async with request_transaction(User._meta.db, write=True):
            users = {row["email"]: row["id"] for row in await User.select(User.id, User.email)}
            await demo._seed_log(users)
            monday = calendar.monday_of(today_berlin()) - dt.timedelta(days=7)
            lena = await load_user(users[SMALL_APPRENTICE])
            lena_contract = await logbook.current_contract_id(lena)
            await logbook.add_entry(lena, lena_contract, monday, None, "company", "Leitungen verlegt", "8")
            finn = await Contract.select(Contract.id).where(Contract.apprentice.email == APPRENTICE).first()
            return {APPRENTICE: (finn["id"], monday), SMALL_APPRENTICE: (lena_contract, monday)}

    return run(seed)


@pytest.mark.parametrize(("reader", "owner", "may_export"), READERS)
def test_overview_and_week_offer_the_pdf_to_exactly_the_exporting_roles(client, run, weeks, reader, owner, may_export):
    contract_id, monday = weeks[owner]
    # The table says what the policy says: the links follow the rule, not a list of their own.
    assert can(run(load_user, run(User.select(User.id).where(User.email == reader).first)["id"]), "log.export") is may_export
    login(client, reader)
    overview = client.get(f"/contracts/{contract_id}/log")
    assert overview.status_code == 200
    assert (f'href="/contracts/{contract_id}/export">{EXPORT_LINK}</a>' in overview.text) is may_export
    week = client.get(f"/contracts/{contract_id}/log/{monday.isoformat()}")
    assert week.status_code == 200
    assert (WEEK_BUTTON in week.text) is may_export
    if may_export:
        form = re.search(r'<form method="post" action="([^"]+)" class="week-pdf" hx-boost="false">(.*?)</form>', week.text, re.S)
        assert form and form.group(1) == f"/contracts/{contract_id}/log/{monday.isoformat()}/pdf"
        assert 'name="_csrf_token"' in form.group(2) and WEEK_BUTTON in form.group(2)
        # The button's target answers with the download.
        response = post(client, form.group(1), {})
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert "attachment" in response.headers["content-disposition"]
    else:
        assert client.get(f"/contracts/{contract_id}/export").status_code in (403, 404)


def test_a_week_not_yet_started_has_no_pdf_button(client, run, weeks):
    contract_id, monday = weeks[APPRENTICE]
    login(client, APPRENTICE)
    empty = monday - dt.timedelta(days=7 * 10)  # before the demo's four weeks: nothing written
    page = client.get(f"/contracts/{contract_id}/log/{empty.isoformat()}")
    assert page.status_code == 200 and "Als PDF" not in page.text


@pytest.mark.parametrize("path", ["/login", "/verify", "/password-reset"])
def test_the_footer_links_to_verification_without_an_account(client, path):
    page = client.get(path)
    assert page.status_code == 200
    footer = page.text.split('<footer class="footer">', 1)[1]
    assert '<a href="/verify">Nachweis prüfen</a>' in footer


def test_the_footer_link_is_there_when_signed_in_too(client, run, weeks):
    login(client, TRAINER)
    footer = client.get("/").text.split('<footer class="footer">', 1)[1]
    assert '<a href="/verify">Nachweis prüfen</a>' in footer


def test_a_whole_file_lists_every_sheet_on_one_line_and_only_failing_sheets_in_full(client, run):
    """A three-year log has 150+ sheets: the upload's answer is a summary, the sheets that fail in
    full, and every sheet as one short line (folded away unless the file has only a few)."""
    from tests.integration.test_exports import _csrf, _export_whole_log

    export_id, data = _export_whole_log(client, run)
    sheets = run(ExportSheet.select(ExportSheet.code, ExportSheet.week_state).where(ExportSheet.export == export_id))
    assert len(sheets) > 3
    answer = client.post("/verify", files={"file": ("nachweis.pdf", data, "application/pdf")}, headers=_csrf(client)).text
    assert f"Gültig: Alle {len(sheets)} Blätter" in answer
    assert answer.count('<li class="verify-sheet">') == len(sheets)
    assert '<details class="verify-sheets">' in answer  # folded
    assert "Fingerabdruck des Inhalts" not in answer and "stimmen nicht" not in answer
    # A sheet's code page: the approval once, not "abgezeichnet, abgezeichnet von …".
    approved = next(s["code"] for s in sheets if s["week_state"] == "approved")
    page = client.get(f"/verify/{approved}").text
    assert "abgezeichnet von Markus Weber am" in page and "abgezeichnet, abgezeichnet" not in page
    # One sheet no longer matches: it alone is shown in full above the list.
    run(ExportSheet.update({ExportSheet.content_hash: "0" * 64}).where(ExportSheet.code == approved))
    answer = client.post("/verify", files={"file": ("nachweis.pdf", data, "application/pdf")}, headers=_csrf(client)).text
    assert f"Nicht gültig: 1 von {len(sheets)}" in answer and "Dieses Blatt stimmt nicht" in answer
    assert answer.count("Fingerabdruck des Inhalts") == 1 and "Die Woche wurde nach dem Export geändert" in answer
    assert answer.count('<span class="verify-bad">nicht gültig</span>') == 1
