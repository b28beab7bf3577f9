"""The mail outbox over real SMTP, and the `leokop` command (migrate, seed-demo, create-admin, check)."""

from __future__ import annotations

import os
from email.header import decode_header, make_header
import socket
import subprocess
import sys

import msgspec
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from leokop.accounts.tables import User
from leokop.notifications.service import deliver_due, queue_mail
from leokop.notifications.tables import MailMessage
from leokop.settings import load_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_queued_mail_is_delivered_by_smtp_once(client, run):
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        settings = msgspec.structs.replace(load_settings(), smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
        mail_id = run(queue_mail, "anna@example.org", "password_reset", display_name="Anna", link="http://x/y", minutes=60)
        assert run(deliver_due, settings) == 1
        assert run(deliver_due, settings) == 0  # sent is sent: no second copy
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == "anna@example.org"
    assert str(make_header(decode_header(inbox.messages[0]["Subject"]))) == "Neues Passwort für leokop"
    assert run(MailMessage.select(MailMessage.sent_at).where(MailMessage.id == mail_id).first)["sent_at"] is not None


def test_unreachable_smtp_keeps_the_mail_for_a_retry(client, run):
    settings = msgspec.structs.replace(load_settings(), smtp_host="127.0.0.1", smtp_port=1, smtp_starttls=False)
    mail_id = run(queue_mail, "anna@example.org", "password_reset", display_name="Anna", link="http://x/y", minutes=60)
    assert run(deliver_due, settings) == 0
    row = run(MailMessage.select(MailMessage.sent_at, MailMessage.attempts, MailMessage.last_error).where(MailMessage.id == mail_id).first)
    assert row["sent_at"] is None and row["attempts"] == 1 and row["last_error"]


def leokop(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "leokop.cli", *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


def test_migrate_and_seed_demo_are_idempotent(client, run):
    assert leokop("migrate").returncode == 0
    users_before = run(User.count())
    result = leokop("seed-demo")
    assert result.returncode == 0 and "schon vorhanden" in result.stdout
    assert run(User.count()) == users_before


def test_create_admin_checks_its_input(client, run):
    created = leokop("create-admin", "--email", "Chefin@Example.org", "--name", "Chefin", "--password-stdin", stdin="ein-langes-passwort\n")
    assert created.returncode == 0, created.stderr
    assert run(User.select(User.role, User.is_active).where(User.email == "chefin@example.org").first) == {"role": "admin", "is_active": True}
    again = leokop("create-admin", "--email", "chefin@example.org", "--password-stdin", stdin="ein-langes-passwort\n")
    assert again.returncode != 0 and "bereits ein Konto" in again.stderr
    short = leokop("create-admin", "--email", "b@example.org", "--password-stdin", stdin="kurz\n")
    assert short.returncode != 0 and "mindestens 10 Zeichen" in short.stderr


def test_check_prints_configuration_and_problems():
    result = leokop("check")
    assert result.returncode == 0
    assert "LEOKOP_PORT = 8000" in result.stdout
    assert "LEOKOP_SECRET_KEY = (gesetzt)" in result.stdout
    assert "Kein LEOKOP_SMTP_HOST" in result.stdout
    assert "Datenbank nicht erreichbar" not in result.stdout
