"""The `leokop` command: serve, migrate, create-admin, seed-demo, check, verify, vapid, push-worker."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

import msgspec

from leokop.settings import Settings, ensure_secret_key, load_settings, problems


def _settings() -> Settings:
    try:
        return ensure_secret_key(load_settings())
    except msgspec.ValidationError as error:
        sys.exit(f"Fehlerhafte Einstellung: {error}")


async def _with_database(settings: Settings, work):
    """Run `work()` in one transaction on the configured database."""
    from leokop.db import bind_tables, close_engine, create_engine, open_engine, request_transaction

    engine = create_engine(settings)
    bind_tables(engine)
    await open_engine(engine, settings)
    try:
        async with request_transaction(engine, write=True):
            return await work()
    finally:
        await close_engine(engine)


def migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    os.environ.setdefault("PICCOLO_CONF", "leokop.piccolo_conf")

    async def run() -> None:
        from piccolo.apps.migrations.commands.forwards import run_forwards
        from piccolo.conf.apps import Finder

        db = Finder().get_engine()
        try:
            result = await run_forwards(app_name="leokop", migration_id="all", fake=False)
        finally:
            # Pooled SQLite connections run in threads that would keep the process alive.
            if hasattr(db, "close_pool"):
                await db.close_pool()
        if not result.success:
            sys.exit(f"Migration fehlgeschlagen: {result.message}")

        from leokop.curriculum.service import load_occupations

        count = await _with_database(settings, load_occupations)
        print(f"Datenbank ist aktuell; {count} Ausbildungsberufe geladen.")

    asyncio.run(run())


def seed_demo(args: argparse.Namespace) -> None:
    from leokop.demo import DEMO_PASSWORD, seed_demo as seed

    # The demo also gets a few weeks of log (submitted, returned, approved); the tests load it without.
    added = asyncio.run(_with_database(_settings(), lambda: seed(with_log=True)))
    if added:
        print(f"Demo-Daten geladen. Passwort aller Demo-Konten: {DEMO_PASSWORD}")
    else:
        print("Demo-Daten sind schon vorhanden; nichts geändert.")


def create_admin(args: argparse.Namespace) -> None:
    from leokop.accounts.schemas import Role
    from leokop.accounts.service import check_email, check_new_password, hash_password
    from leokop.accounts.tables import User
    from leokop.errors import ValidationFailed
    from leokop.messages import message
    from leokop.timeutil import utcnow

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Passwort: ")
    try:
        email = check_email(args.email)
        check_new_password(password, password, email)
    except ValidationFailed as failure:
        sys.exit("; ".join(message(code, **failure.params) for code in failure.errors.values()))

    async def work() -> bool:
        if await User.exists().where(User.email == email):
            return False
        await User.insert(
            User(
                email=email,
                display_name=args.name,
                role=Role.admin.value,
                password_hash=await hash_password(password),
                is_active=True,
                created_at=utcnow(),
                password_changed_at=utcnow(),
            )
        )
        return True

    if not asyncio.run(_with_database(_settings(), work)):
        sys.exit(message("email_taken"))
    print(f"Administrationskonto {email} angelegt.")


def check(args: argparse.Namespace) -> None:
    settings = _settings()
    print("Wirksame Einstellungen:")
    for name in Settings.__struct_fields__:
        value = getattr(settings, name)
        if name in ("secret_key", "smtp_password", "vapid_private_key") and value:
            value = "(gesetzt)"
        print(f"  LEOKOP_{name.upper()} = {value}")
    print(f"  Datenbank: {'PostgreSQL' if settings.uses_postgres else settings.sqlite_path}")
    from leokop.notifications.push import key_problems

    found = problems(settings) + key_problems(settings)

    async def ping() -> None:
        from piccolo.querystring import QueryString

        from leokop.tables import User

        await User._meta.db.run_querystring(QueryString("SELECT 1"))

    try:
        asyncio.run(_with_database(settings, ping))
    except Exception as error:  # noqa: BLE001 - report, don't crash
        found.insert(0, f"Datenbank nicht erreichbar: {type(error).__name__}: {error}")
    if found:
        print("Hinweise:")
        for line in found:
            print(f"  - {line}")
    else:
        print("Keine Probleme gefunden.")


def verify(args: argparse.Namespace) -> None:
    """Check every contract's audit chain and every signed week against its signatures and the
    current content; exit 1 and name each problem if there is one."""
    from leokop.audit.service import verify as verify_chains
    from leokop.messages import message
    from leokop.signing.service import verify_signatures

    async def both():
        return await verify_chains(), await verify_signatures()

    (checked, problems), (weeks, week_problems) = asyncio.run(_with_database(_settings(), both))
    texts = {
        "edited": "wurde verändert",
        "missing": "fehlt (gelöscht)",
        "forked": "passt nicht zum vorigen Eintrag (eingefügt oder ersetzt)",
        "mismatch": "widerspricht seinem signierten Inhalt",
    }
    for problem in problems:
        print(f"Vertrag {problem.contract_id}, Eintrag {problem.seq}: {texts[problem.problem]}")
    for problem in week_problems:
        week = f"KW {problem.monday.isocalendar()[1]}/{problem.monday.isocalendar()[0]} ({problem.monday.strftime('%d.%m.%Y')})"
        print(f"Vertrag {problem.contract_id}, {week}: {message(problem.problem)}")
    if problems or week_problems:
        sys.exit(
            f"Integrität verletzt: {len(problems)} Problem(e) in {checked} Protokolleinträgen, "
            f"{len(week_problems)} Problem(e) in {weeks} unterschriebenen Wochen."
        )
    print(f"Integrität geprüft: {checked} Protokolleinträge, alle Ketten unverändert; {weeks} unterschriebene Wochen, alle Unterschriften passen zum Inhalt.")


def vapid(args: argparse.Namespace) -> None:
    """Show the push key pair's public half (made once, on first use, if there is none)."""
    from leokop.notifications.push import PRIVATE_KEY_FILE, application_server_key, ensure_vapid_key

    configured = bool(_settings().vapid_private_key)
    settings = ensure_vapid_key(_settings())
    print(application_server_key(settings))
    source = "LEOKOP_VAPID_PRIVATE_KEY" if configured else os.path.join(settings.var_dir, PRIVATE_KEY_FILE)
    print(
        f"Öffentlicher VAPID-Schlüssel (applicationServerKey, base64url). Privater Schlüssel: {source}; "
        f"Kontakt: {settings.effective_vapid_subject}. Nicht austauschen: sonst erreichen Benachrichtigungen "
        "kein bisher angemeldetes Gerät mehr.",
        file=sys.stderr,
    )


def push_worker(args: argparse.Namespace) -> None:
    """Deliver pushes in a process of its own (the web processes then run with LEOKOP_PUSH_WORKER=false)."""
    import signal

    from leokop.db import bind_tables, close_engine, create_engine, open_engine
    from leokop.notifications.push import PushSender, ensure_vapid_key
    from leokop.notifications.service import run_push_worker

    settings = ensure_vapid_key(_settings())

    async def run() -> None:
        engine = create_engine(settings)
        bind_tables(engine)
        await open_engine(engine, settings)
        sender = PushSender(settings)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        try:
            await run_push_worker(settings, stop, sender)
        finally:
            await sender.aclose()
            await close_engine(engine)

    asyncio.run(run())


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = _settings()
    uvicorn.run(
        "leokop.cli:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=args.workers or settings.workers,
        log_config=None,
        access_log=False,  # our own access line logs route templates, never raw paths with tokens
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def app_factory():
    from leokop.app import create_app

    return create_app(_settings())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="leokop", description="leokop – digitaler Ausbildungsnachweis")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="Server starten (LEOKOP_HOST, LEOKOP_PORT)")
    serve_parser.add_argument("--workers", type=int, default=0, help="Anzahl Prozesse (Standard: LEOKOP_WORKERS)")
    serve_parser.set_defaults(run=serve)
    commands.add_parser("migrate", help="Datenbank anlegen oder aktualisieren").set_defaults(run=migrate)
    commands.add_parser("seed-demo", help="Demo-Daten laden (idempotent)").set_defaults(run=seed_demo)
    admin = commands.add_parser("create-admin", help="Administrationskonto anlegen")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Administration")
    admin.add_argument("--password-stdin", action="store_true", help="Passwort aus der Standardeingabe lesen")
    admin.set_defaults(run=create_admin)
    commands.add_parser("check", help="Einstellungen und Datenbank prüfen").set_defaults(run=check)
    commands.add_parser("verify", help="Prüfprotokoll (Hash-Ketten) auf Veränderungen prüfen").set_defaults(run=verify)
    commands.add_parser("vapid", help="Öffentlichen Schlüssel für Web-Push zeigen").set_defaults(run=vapid)
    commands.add_parser("push-worker", help="Push-Benachrichtigungen in einem eigenen Prozess zustellen").set_defaults(run=push_worker)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
