"""Class list import part of scripts/bench: a school's CSV of BENCH_CLASS_IMPORT_ROWS (1,000) rows
read, previewed and taken over at the service level, as the routes call it.

  bench_class_import.py service [--postgres ADMIN_URL]
      On a fresh database (SQLite in a temporary folder, or a throw-away PostgreSQL database, set up
      by bench_signing.service): the demo data, BENCH_CLASS_IMPORT_COMPANIES (2,000) more companies
      (every import folds all company names), and in them the apprentices the file names with a
      running contract that names the demo school, plus as many others born on the same days. The
      file: 60 % of its rows those apprentices (matched: the class is set), 30 % new people with an
      e-mail address (invited: account, invitation, mail, placement), 10 % an unknown class
      (rejected). Times, each in the request transaction the app runs it in, the upload step (read
      and guess the mapping), BENCH_CLASS_IMPORT_RUNS (5) previews, "Übernehmen", and the same file
      once more (every row unchanged), with the SQL statements of each.

Prints figures only; nothing here asserts a timing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_signing  # noqa: E402

ROWS = int(os.environ.get("BENCH_CLASS_IMPORT_ROWS", "1000"))
COMPANIES = int(os.environ.get("BENCH_CLASS_IMPORT_COMPANIES", "2000"))
RUNS = int(os.environ.get("BENCH_CLASS_IMPORT_RUNS", "5"))
CHUNK = 500


def _birth(i: int) -> dt.date:
    return dt.date(2004, 1, 1) + dt.timedelta(days=i % 1500)


async def _data_set() -> bytes:
    """The companies, apprentices and contracts of the data set; returns the CSV file's bytes."""
    from leokop.accounts.tables import User
    from leokop.contracts.tables import Contract
    from leokop.curriculum.tables import Occupation
    from leokop.organisations.tables import Company, School
    from leokop.timeutil import today_berlin, utcnow

    now = utcnow()
    today = today_berlin()
    school = (await School.select(School.id).first())["id"]
    occupation = (await Occupation.select(Occupation.id).first())["id"]
    companies = []
    for start in range(0, COMPANIES, CHUNK):
        companies += await Company.insert(
            *(Company(name=f"Bench Betrieb {i} GmbH", state="HE", created_at=now) for i in range(start, min(start + CHUNK, COMPANIES)))
        ).returning(Company.id)
    matched = int(ROWS * 0.6)
    people = [(f"bench.azubi{i}@bench.example", f"Azubi{i} Bench", companies[i % COMPANIES]["id"], _birth(i)) for i in range(matched)]
    # Others born on the same days in the same companies: the look-up must tell them apart.
    people += [(f"bench.andere{i}@bench.example", f"Andere{i} Bench", companies[i % COMPANIES]["id"], _birth(i)) for i in range(matched)]
    ids = []
    for start in range(0, len(people), CHUNK):
        ids += await User.insert(
            *(User(email=e, display_name=n, role="apprentice", company=c, birth_date=b, created_at=now) for e, n, c, b in people[start : start + CHUNK])
        ).returning(User.id)
    for start in range(0, matched, CHUNK):
        await Contract.insert(
            *(
                Contract(
                    apprentice=ids[i]["id"],
                    company=people[i][2],
                    occupation=occupation,
                    start_date=today - dt.timedelta(days=100),
                    end_date=today + dt.timedelta(days=900),
                    log_form="electronic",
                    log_mode="weekly",
                    daily_minutes=480,
                    school=school,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(start, min(start + CHUNK, matched))
            )
        )
    lines = ["Nachname;Vorname;Geburtsdatum;Klasse;Ausbildungsbetrieb;E-Mail"]
    for i in range(ROWS):
        if i < matched:
            lines.append(f"Bench;Azubi{i};{_birth(i):%d.%m.%Y};FIA25a;Bench Betrieb {i % COMPANIES};")
        elif i < int(ROWS * 0.9):
            lines.append(f"Neu;Person{i};{_birth(i):%d.%m.%Y};IM25b;Bench Betrieb {i % COMPANIES} GmbH;bench.neu{i}@bench.example")
        else:
            lines.append(f"Fremd;Person{i};{_birth(i):%d.%m.%Y};XY{i};Bench Betrieb {i % COMPANIES} GmbH;")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


async def figures(engine, database: str) -> None:
    from leokop.accounts.service import load_user
    from leokop.accounts.tables import User
    from leokop.db import request_transaction
    from leokop.demo import seed_demo
    from leokop.organisations import class_import, service
    from leokop.organisations.schemas import ClassListPayload
    from leokop.settings import load_settings

    settings = load_settings()
    async with request_transaction(engine, write=True):
        await seed_demo()
        data = await _data_set()
        admin = await load_user((await User.select(User.id).where(User.role == "school_admin").first())["id"])
    counter = bench_signing.SqlCounter(engine)
    print(f"  data set ({database}): {COMPANIES} companies more, {int(ROWS * 0.6) * 2} apprentices more; a file of {ROWS} rows, {len(data) // 1024} KB")

    async def upload():
        return service.upload_class_list(admin, settings.secret_key, "bench.csv", data)

    step = (await bench_signing.in_request(engine, counter, False, upload)).result
    payload = ClassListPayload(content=step.content, signature=step.signature, filename=step.filename)
    mapping = {field: "" if position is None else str(position) for field, position in step.mapping.items()}

    async def preview():
        return await service.preview_class_list(admin, settings.secret_key, payload, mapping)

    async def confirm():
        return await service.import_class_list(settings, admin, payload, mapping, promised)

    uploads = [await bench_signing.in_request(engine, counter, False, upload) for _ in range(RUNS)]
    previews = [await bench_signing.in_request(engine, counter, False, preview) for _ in range(RUNS)]
    counts = previews[-1].result.counts
    promised = previews[-1].result.fingerprint
    first = await bench_signing.in_request(engine, counter, True, confirm)
    promised = (await bench_signing.in_request(engine, counter, False, preview)).result.fingerprint
    again = await bench_signing.in_request(engine, counter, True, confirm)
    outcome = ", ".join(f"{counts[a]} {a}" for a in class_import.ACTIONS if counts[a])
    bench_signing._table(
        [
            bench_signing._row("upload: read, guess the mapping", uploads),
            bench_signing._row(f"preview of {ROWS} rows", previews, outcome),
            bench_signing._row("Übernehmen", [first], "one transaction"),
            bench_signing._row("the same file again", [again], f"{ROWS - counts['rejected']} unchanged"),
        ]
    )


def main() -> None:
    command, *args = sys.argv[1:] or ["help"]
    if command == "service" and not args:
        asyncio.run(bench_signing.service(None, figures))
    elif command == "service" and len(args) == 2 and args[0] == "--postgres":
        asyncio.run(bench_signing.service(args[1], figures))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
