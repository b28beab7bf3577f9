"""Demo data for trying leokop: two companies, one school, every role (idempotent, one transaction)."""

from __future__ import annotations

import datetime as dt

from leokop.accounts.schemas import Role
from leokop.accounts.service import hash_password
from leokop.accounts.tables import Guardianship, User
from leokop.contracts.tables import Contract, ContractStaff
from leokop.curriculum.tables import Occupation
from leokop.organisations.tables import Company, School, SchoolClass
from leokop.timeutil import utcnow

DEMO_PASSWORD = "leokop-demo"

# (email, name, role, organisation key, birth date)
PEOPLE = [
    ("admin@leokop.example", "Systemadministration", Role.admin, None, None),
    ("jonas.becker@elektro-becker.example", "Jonas Becker", Role.trainer, "becker", None),
    ("lena.wolf@elektro-becker.example", "Lena Wolf", Role.apprentice, "becker", dt.date(2009, 5, 10)),
    ("andrea.wolf@mail.example", "Andrea Wolf", Role.guardian, None, None),
    ("sabine.hoffmann@rmm.example", "Sabine Hoffmann", Role.company_admin, "rmm", None),
    ("markus.weber@rmm.example", "Markus Weber", Role.trainer, "rmm", None),
    ("aylin.demir@rmm.example", "Aylin Demir", Role.trainer, "rmm", None),
    ("tobias.klein@rmm.example", "Tobias Klein", Role.instructor, "rmm", None),
    ("finn.schneider@rmm.example", "Finn Schneider", Role.apprentice, "rmm", dt.date(2006, 3, 14)),
    ("mia.yilmaz@rmm.example", "Mia Yilmaz", Role.apprentice, "rmm", dt.date(2005, 11, 2)),
    ("noah.fischer@rmm.example", "Noah Fischer", Role.apprentice, "rmm", dt.date(2007, 7, 21)),
    ("emma.schulz@rmm.example", "Emma Schulz", Role.apprentice, "rmm", dt.date(2004, 1, 30)),
    ("petra.lange@bs-main.example", "Petra Lange", Role.school_admin, "school", None),
    ("thomas.berg@bs-main.example", "Dr. Thomas Berg", Role.teacher, "school", None),
    ("julia.krueger@bs-main.example", "Julia Krüger", Role.teacher, "school", None),
]

# (apprentice, occupation slug, start, end, mode, daily minutes, trainers, instructors, class)
CONTRACTS = [
    ("lena.wolf@elektro-becker.example", "elektroniker-betriebstechnik", dt.date(2025, 8, 1), dt.date(2029, 1, 31), "weekly", 480,
     ["jonas.becker@elektro-becker.example"], [], None),
    ("finn.schneider@rmm.example", "fachinformatiker-anwendungsentwicklung", dt.date(2025, 8, 1), dt.date(2028, 7, 31), "daily", 468,
     ["markus.weber@rmm.example"], ["tobias.klein@rmm.example"], "FIA25a"),
    ("mia.yilmaz@rmm.example", "fachinformatiker-anwendungsentwicklung", dt.date(2024, 8, 1), dt.date(2027, 7, 31), "daily", 468,
     ["markus.weber@rmm.example"], [], "FIA25a"),
    ("noah.fischer@rmm.example", "industriemechaniker", dt.date(2025, 9, 1), dt.date(2029, 2, 28), "daily", 480,
     ["aylin.demir@rmm.example"], ["tobias.klein@rmm.example"], "IM25b"),
    ("emma.schulz@rmm.example", "kaufmann-bueromanagement", dt.date(2026, 8, 1), dt.date(2029, 7, 31), "weekly", 468,
     ["aylin.demir@rmm.example"], [], None),
]


async def seed_demo(password_hash: str | None = None) -> bool:
    """Load the demo data unless it is there already; returns whether anything was added.
    `password_hash` lets the tests reuse one hash of DEMO_PASSWORD across many resets."""
    if await User.exists().where(User.email == PEOPLE[0][0]):
        return False
    now = utcnow()
    occupations = {r["slug"]: r["id"] for r in await Occupation.select(Occupation.id, Occupation.slug)}
    becker = await Company.insert(Company(name="Elektro Becker GmbH", state="HE", city="Gießen", created_at=now)).returning(Company.id)
    rmm = await Company.insert(
        Company(name="Rhein-Main Maschinenbau AG", state="HE", city="Frankfurt am Main", created_at=now)
    ).returning(Company.id)
    school = await School.insert(
        School(name="Berufliche Schule am Main", state="HE", city="Frankfurt am Main", created_at=now)
    ).returning(School.id)
    organisations = {"becker": ("company", becker[0]["id"]), "rmm": ("company", rmm[0]["id"]), "school": ("school", school[0]["id"])}
    classes = {}
    for name, slug, year in (("FIA25a", "fachinformatiker-anwendungsentwicklung", 2025), ("IM25b", "industriemechaniker", 2025)):
        rows = await SchoolClass.insert(
            SchoolClass(school=school[0]["id"], name=name, occupation=occupations[slug], start_year=year, created_at=now)
        ).returning(SchoolClass.id)
        classes[name] = rows[0]["id"]

    # One hash for all demo accounts: Argon2 is slow on purpose.
    password_hash = password_hash or await hash_password(DEMO_PASSWORD)
    users = {}
    for email, name, role, organisation, birth in PEOPLE:
        kind, org_id = organisations.get(organisation, (None, None))
        rows = await User.insert(
            User(
                email=email,
                display_name=name,
                role=role.value,
                password_hash=password_hash,
                is_active=True,
                company=org_id if kind == "company" else None,
                school=org_id if kind == "school" else None,
                birth_date=birth,
                created_at=now,
                password_changed_at=now,
            )
        ).returning(User.id)
        users[email] = rows[0]["id"]
    await Guardianship.insert(
        Guardianship(guardian=users["andrea.wolf@mail.example"], apprentice=users["lena.wolf@elektro-becker.example"])
    )
    for apprentice, slug, start, end, mode, minutes, trainers, instructors, class_name in CONTRACTS:
        company_id = organisations["becker" if "becker" in apprentice else "rmm"][1]
        rows = await Contract.insert(
            Contract(
                apprentice=users[apprentice],
                company=company_id,
                occupation=occupations[slug],
                start_date=start,
                end_date=end,
                log_form="electronic",
                log_mode=mode,
                daily_minutes=minutes,
                school=school[0]["id"],
                school_class=classes.get(class_name),
                created_at=now,
                updated_at=now,
            )
        ).returning(Contract.id)
        staff = [ContractStaff(contract=rows[0]["id"], user=users[t], kind="trainer") for t in trainers]
        staff += [ContractStaff(contract=rows[0]["id"], user=users[i], kind="instructor") for i in instructors]
        await ContractStaff.insert(*staff)
    return True
