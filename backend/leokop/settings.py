"""Settings: one msgspec Struct read from LEOKOP_* environment variables, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Mapping
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Every knob of leokop. Field name `x` is read from LEOKOP_X."""

    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 8000
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    # Everything the running app writes (database, secrets, uploads) lives below this folder.
    var_dir: str = str(PROJECT_ROOT / "var")
    # Empty means the embedded SQLite database under var_dir; postgresql://… switches to PostgreSQL.
    database_url: str = ""
    database_pool_size: Annotated[int, Meta(ge=1, le=200)] = 10
    # Public address used in e-mailed links; https here turns on Secure cookies and HSTS.
    base_url: str = ""
    secret_key: str = ""
    session_idle_hours: Annotated[int, Meta(ge=1)] = 24 * 7
    session_max_days: Annotated[int, Meta(ge=1)] = 30
    login_max_failures: Annotated[int, Meta(ge=1)] = 5
    login_lock_minutes: Annotated[int, Meta(ge=1)] = 15
    invitation_days: Annotated[int, Meta(ge=1)] = 14
    password_reset_minutes: Annotated[int, Meta(ge=5)] = 60
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "leokop <noreply@localhost>"
    smtp_starttls: bool = True
    log_level: str = "INFO"
    log_sql: bool = False
    # Web push. The VAPID key pair is generated once into var_dir (vapid_private_key.pem) unless given
    # here (PEM or the raw base64url key); changing it orphans every device (see `leokop vapid`).
    vapid_private_key: str = ""
    # Contact the push services may write to; the `webpush` package only speaks mailto:.
    vapid_subject: Annotated[str, Meta(pattern=r"^(mailto:[^@\s]+@[^@\s]+)?$")] = ""
    push_worker: bool = True  # deliver pushes in this process (off: another process does it)
    push_interval_seconds: Annotated[float, Meta(gt=0, le=3600)] = 5.0
    push_batch_size: Annotated[int, Meta(ge=1, le=5000)] = 200  # per round: a wave spreads over rounds
    push_max_devices: Annotated[int, Meta(ge=1, le=100)] = 10
    # Tests only: endpoints starting with this (http://127.0.0.1:PORT/) reach a local fake push service.
    push_test_endpoint_prefix: str = ""
    # Write due reminders and digests in this process every few minutes (safe in several processes).
    reminders: bool = True
    # Render queued PDF exports in this process (safe in several processes; off: another does it).
    export_worker: bool = True
    # Make queued data exports (L16) in this process (safe in several processes; off: another does it).
    data_export_worker: bool = True

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.effective_base_url.startswith("https://")

    @property
    def effective_vapid_subject(self) -> str:
        host = urlsplit(self.effective_base_url).hostname or "localhost"
        return self.vapid_subject or f"mailto:admin@{host}"

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))

    @property
    def sqlite_path(self) -> Path:
        return Path(self.var_dir) / "leokop.sqlite3"


PREFIX = "LEOKOP_"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; raises msgspec.ValidationError naming the bad variable."""
    environ = os.environ if environ is None else environ
    raw = {
        name: environ[PREFIX + name.upper()]
        for name in Settings.__struct_fields__
        if PREFIX + name.upper() in environ
    }
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        # msgspec says "at `$.port`": name the environment variable the operator actually sets.
        message = str(error)
        for name in raw:
            message = message.replace(f"`$.{name}`", PREFIX + name.upper())
        raise msgspec.ValidationError(message) from None


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one generated once into var_dir."""
    if settings.secret_key:
        return settings
    path = Path(settings.var_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # O_EXCL: two workers starting at once must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    return msgspec.structs.replace(settings, secret_key=key)


def problems(settings: Settings) -> list[str]:
    """What is wrong or risky with this configuration, in German, for `leokop check`."""
    found: list[str] = []
    if settings.secret_key and len(settings.secret_key) < 32:
        found.append("LEOKOP_SECRET_KEY ist kürzer als 32 Zeichen.")
    if settings.database_url and not settings.uses_postgres:
        found.append("LEOKOP_DATABASE_URL muss mit postgresql:// beginnen (leer = SQLite).")
    if settings.base_url and not settings.base_url.startswith(("http://", "https://")):
        found.append("LEOKOP_BASE_URL muss mit http:// oder https:// beginnen.")
    if settings.base_url.startswith("http://") and settings.host not in ("127.0.0.1", "localhost"):
        found.append("LEOKOP_BASE_URL ist http:// – außerhalb des eigenen Rechners bitte https verwenden.")
    if not settings.smtp_host:
        found.append(
            "Kein LEOKOP_SMTP_HOST: E-Mails werden nicht versendet, sondern im Postausgang angezeigt."
        )
    if not settings.vapid_subject:
        found.append(
            f"Kein LEOKOP_VAPID_SUBJECT: Push-Dienste erhalten {settings.effective_vapid_subject} als Kontakt. "
            "Bitte eine erreichbare Adresse angeben (mailto:…); Apple lehnt Adressen wie @localhost ab."
        )
    if settings.push_test_endpoint_prefix:
        found.append(
            "LEOKOP_PUSH_TEST_ENDPOINT_PREFIX ist gesetzt: nur für Tests – Push an einen lokalen Testdienst erlaubt."
        )
    if settings.workers > 1 and not settings.uses_postgres:
        found.append("Mehrere Worker mit SQLite: möglich, für viele Nutzer aber PostgreSQL verwenden.")
    return found
