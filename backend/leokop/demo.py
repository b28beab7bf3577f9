"""Demo data for trying leokop: two companies, one school, every role (idempotent, one transaction)."""

from __future__ import annotations

import datetime as dt

from leokop.accounts.schemas import Role
from leokop.accounts.service import hash_password
from leokop.accounts.tables import Guardianship, User
from leokop.contracts.tables import Contract, ContractStaff, ReadingConsent
from leokop.curriculum.tables import Occupation
from leokop.organisations.tables import ClassTeacher, Company, School, SchoolClass
from leokop.timeutil import today_berlin, utcnow

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


# Which teacher teaches which class; which apprentices let the school read their log.
CLASS_TEACHERS = [("thomas.berg@bs-main.example", "FIA25a"), ("julia.krueger@bs-main.example", "IM25b")]
SCHOOL_MAY_READ = ["finn.schneider@rmm.example", "noah.fischer@rmm.example"]
# On what the company sees the school's absences (K4): Finn's contract has a clause for it.
ABSENCE_BASIS = {"finn.schneider@rmm.example": "contract"}


async def seed_demo(password_hash: str | None = None, with_log: bool = False) -> bool:
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
                absence_basis=ABSENCE_BASIS.get(apprentice, ""),
                created_at=now,
                updated_at=now,
            )
        ).returning(Contract.id)
        staff = [ContractStaff(contract=rows[0]["id"], user=users[t], kind="trainer") for t in trainers]
        staff += [ContractStaff(contract=rows[0]["id"], user=users[i], kind="instructor") for i in instructors]
        await ContractStaff.insert(*staff)
        if apprentice in SCHOOL_MAY_READ:
            await ReadingConsent.insert(ReadingConsent(contract=rows[0]["id"], apprentice_consented_at=now, updated_at=now))
    for teacher, class_name in CLASS_TEACHERS:
        await ClassTeacher.insert(ClassTeacher(school_class=classes[class_name], teacher=users[teacher], created_at=now))
    await _seed_school_calendar(classes, users)
    await _seed_contacts(users)
    if with_log:
        await _seed_log(users)
        await _seed_topics(users)
        await _seed_absences(users)
        await _seed_conversations(users)
    return True


# A few past weeks so that every role sees something: written, submitted, returned, approved.
DEMO_DAY = [
    ("company", "Ticket im Kundenportal bearbeitet: Fehler nachgestellt, Ursache im SQL-Statement gefunden und behoben.", "4:00"),
    ("instruction", "Unterweisung: Code-Review im Team, Kommentare sachlich formulieren.", "1:00"),
    ("company", "Unit-Tests für die Rechnungsberechnung geschrieben und mit dem Ausbilder besprochen.", "2:48"),
]
DEMO_SCHOOL_DAY = [
    ("school", "Lernfeld 5: Daten mit SQL abfragen (JOIN, GROUP BY), Übungen zur Normalisierung.", "4:30"),
    ("school", "Wirtschafts- und Sozialkunde: Rechte und Pflichten aus dem Ausbildungsvertrag.", "1:30"),
]


async def _seed_log(users: dict[str, int]) -> None:
    """Finn's last four weeks (the oldest approved, one returned, two waiting) and Noah's last two
    (waiting), written through the same services the app uses, so every rule holds."""
    from leokop.accounts.service import load_user
    from leokop.logbook import calendar
    from leokop.logbook import service as logbook
    from leokop.signing import service as signing

    this_monday = calendar.monday_of(today_berlin())
    finn, noah = await load_user(users["finn.schneider@rmm.example"]), await load_user(users["noah.fischer@rmm.example"])
    markus = await load_user(users["markus.weber@rmm.example"])
    plan = [(finn, 4), (finn, 3), (finn, 2), (finn, 1), (noah, 2), (noah, 1)]
    for apprentice, weeks_back in plan:
        contract_id = await logbook.current_contract_id(apprentice)
        monday = this_monday - dt.timedelta(days=7 * weeks_back)
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            week = await logbook.week_view(apprentice, contract_id, monday)
            info = next(d for d in week.days if d.date == day)
            if info.holiday_name or not info.in_contract:
                continue
            school = info.status == "school"  # as the class's calendar proposes (FIA25a: Tuesday, Thursday)
            await logbook.set_day_status(apprentice, contract_id, monday, day, "school" if school else "company", "")
            for category, text, duration in DEMO_SCHOOL_DAY if school else DEMO_DAY:
                await logbook.add_entry(apprentice, contract_id, monday, day, category, text, duration)
        await logbook.submit_week(apprentice, contract_id, monday)
        if apprentice is finn and weeks_back == 4:
            await signing.approve(markus, contract_id, monday)
        if apprentice is finn and weeks_back == 3:
            await signing.return_week(markus, contract_id, monday, "Bitte am Freitag genauer beschreiben, was Sie getestet haben.")


# FIA25a's lesson topics: (weeks back, weekday, subject, text, duration).
DEMO_TOPICS = [
    (1, 1, "LF 5 Software zur Verwaltung von Daten anpassen", "Datenbankentwurf: ER-Modell einer Ausleihe erstellt, Kardinalitäten bestimmt.", "4:30"),
    (1, 1, "Politik und Wirtschaft", "Tarifvertrag und Mitbestimmung im Betrieb.", "1:30"),
    (1, 3, "LF 6 Serviceanfragen bearbeiten", "Störungsmeldungen im Ticketsystem aufnehmen und priorisieren.", "4:30"),
    (1, 3, "Englisch", "Describing a technical problem in an e-mail.", "1:30"),
    (0, 1, "LF 5 Software zur Verwaltung von Daten anpassen", "SQL: Tabellen mit CREATE TABLE anlegen, Datentypen und Schlüssel.", "4:30"),
    (0, 1, "Deutsch", "Ergebnisprotokoll einer Teambesprechung schreiben.", "1:30"),
]


async def _seed_topics(users: dict[str, int]) -> None:
    """Last week's and this week's lesson topics of FIA25a, published by the class teacher through
    the service, so the logs are prefilled as in real use (Finn's last week is submitted already:
    only Mia's log gets those)."""
    from leokop.accounts.service import load_user
    from leokop.lesson_topics import service as topics
    from leokop.logbook import calendar

    teacher = await load_user(users["thomas.berg@bs-main.example"])
    class_id = (await SchoolClass.select(SchoolClass.id).where(SchoolClass.name == "FIA25a").first())["id"]
    this_monday = calendar.monday_of(today_berlin())
    for weeks_back in sorted({row[0] for row in DEMO_TOPICS}, reverse=True):
        monday = this_monday - dt.timedelta(days=7 * weeks_back)
        rows = [(subject, text, duration, monday + dt.timedelta(days=weekday)) for back, weekday, subject, text, duration in DEMO_TOPICS if back == weeks_back]
        await topics.publish(teacher, class_id, monday, rows)


async def _seed_absences(users: dict[str, int]) -> None:
    """Two absences of Finn recorded by his class teacher: lessons on a recent school day, still
    open, and a whole day six weeks ago that the company reported as sick and the teacher excused.
    Written through the service, so history, audit records and notifications are the real ones."""
    from leokop.absences import service as absences
    from leokop.absences.schemas import AbsenceIn
    from leokop.accounts.service import load_user
    from leokop.logbook import calendar

    finn = users["finn.schneider@rmm.example"]
    contract_id = (await Contract.select(Contract.id).where(Contract.apprentice == finn).first())["id"]
    teacher = await load_user(users["thomas.berg@bs-main.example"])
    trainer = await load_user(users["markus.weber@rmm.example"])
    this_monday = calendar.monday_of(today_berlin())
    recent = this_monday - dt.timedelta(days=13)  # the Tuesday (school day) two weeks ago
    await absences.record(
        teacher, contract_id, AbsenceIn(date=recent, whole_day=False, first_lesson=5, last_lesson=6, note="Nach der großen Pause nicht mehr im Unterricht.")
    )
    earlier = this_monday - dt.timedelta(days=41)  # the Tuesday six weeks ago
    absence_id = await absences.record(teacher, contract_id, AbsenceIn(date=earlier))
    await absences.respond(trainer, absence_id, 1, "sick", "Krankmeldung liegt uns vor.", True)
    await absences.decide(teacher, absence_id, 2, "excused", "Attest liegt vor.")


# How people are reached (K6): the chambers' training advisers, the school's office, the teachers'
# part in their classes, and phone numbers of the trainers (all invented).
CHAMBERS = {
    "Rhein-Main Maschinenbau AG": ("IHK Frankfurt am Main", "Katrin Vogel", "katrin.vogel@ihk-ffm.example", "069 123456-21"),
    "Elektro Becker GmbH": ("Handwerkskammer Wiesbaden", "Stefan Brandt", "stefan.brandt@hwk-wi.example", "0611 123456-30"),
}
SCHOOL_OFFICE = ("sekretariat@bs-main.example", "069 123456-0")
CLASS_LEADS = {"thomas.berg@bs-main.example": "LF 5, LF 6, Politik und Wirtschaft", "julia.krueger@bs-main.example": "LF 3, LF 4, Deutsch"}
PHONES = {"markus.weber@rmm.example": "069 123456-410", "jonas.becker@elektro-becker.example": "0641 123456-1"}


async def _seed_contacts(users: dict[str, int]) -> None:
    for company, (chamber, adviser, email, phone) in CHAMBERS.items():
        await Company.update(
            {Company.chamber_name: chamber, Company.chamber_adviser_name: adviser, Company.chamber_adviser_email: email, Company.chamber_adviser_phone: phone}
        ).where(Company.name == company)
    await School.update({School.office_email: SCHOOL_OFFICE[0], School.office_phone: SCHOOL_OFFICE[1]}).where(School.name == "Berufliche Schule am Main")
    for teacher, subjects in CLASS_LEADS.items():
        await ClassTeacher.update({ClassTeacher.is_class_lead: True, ClassTeacher.subjects: subjects}).where(ClassTeacher.teacher == users[teacher])
    for email, phone in PHONES.items():
        await User.update({User.phone: phone}).where(User.id == users[email])


# Finn's two conversations: (author, kind, text), oldest first.
DEMO_MESSAGES = [
    ("markus.weber@rmm.example", "with_apprentice", "Guten Morgen Finn, guten Morgen Herr Dr. Berg – ab nächster Woche ist Finn im Team Datenbanken. Gibt es in LF 5 gerade ein Projekt, an das wir anknüpfen können?"),
    ("thomas.berg@bs-main.example", "with_apprentice", "Gern: Wir entwerfen in LF 5 gerade eine Datenbank für eine Ausleihe, erst das ER-Modell, dann SQL. Ein Beispiel aus dem Betrieb wäre ideal."),
    ("finn.schneider@rmm.example", "with_apprentice", "Ich könnte die Werkzeugausleihe aus der Werkstatt nehmen. Darf ich dafür unsere echten Tabellen zeigen?"),
    ("markus.weber@rmm.example", "with_apprentice", "Ja, die Struktur schon – aber ohne Namen von Kolleginnen und Kollegen."),
    ("markus.weber@rmm.example", "staff", "Herr Dr. Berg, Finn war am Dienstag krank, die Arbeitsunfähigkeitsbescheinigung liegt uns vor. Brauchen Sie eine Kopie?"),
    ("thomas.berg@bs-main.example", "staff", "Danke, Ihre Rückmeldung genügt mir – ich trage die Entschuldigung ein."),
]


async def _seed_conversations(users: dict[str, int]) -> None:
    """Finn's conversation with his trainer and class teacher, and theirs without him, written
    through the service (read markers and notifications are the real ones)."""
    from leokop.accounts.service import load_user
    from leokop.conversations import service as conversations

    contract_id = (await Contract.select(Contract.id).where(Contract.apprentice == users["finn.schneider@rmm.example"]).first())["id"]
    for author, kind, text in DEMO_MESSAGES:
        # No attachments here, so no upload folder ("").
        await conversations.post_message(await load_user(users[author]), "", contract_id, kind, text)


async def _seed_school_calendar(classes: dict[str, int], users: dict[str, int]) -> None:
    """The current school year's calendar: FIA25a at school every Tuesday and Thursday, IM25b in
    two-week blocks every six weeks; a planned week of vacation for Finn and an inter-company
    course for Noah next month."""
    from leokop.logbook import calendar
    from leokop.school_calendar.tables import PlanItem, SchoolPeriod

    today, now = today_berlin(), utcnow()
    year = today.year if today.month >= 8 else today.year - 1
    first, last = dt.date(year, 8, 1), dt.date(year + 1, 7, 31)
    periods = [SchoolPeriod(school_class=classes["FIA25a"], kind="weekly", start_date=first, end_date=last, weekdays="24", label="Schuljahr " + f"{year}/{(year + 1) % 100:02d}", source="form", created_at=now)]
    monday = calendar.monday_of(first) + dt.timedelta(days=7)
    for number in range(1, 9):
        periods.append(
            SchoolPeriod(school_class=classes["IM25b"], kind="block", start_date=monday, end_date=monday + dt.timedelta(days=11), weekdays="12345", label=f"Block {number}", source="form", created_at=now)
        )
        monday += dt.timedelta(weeks=6)
    await SchoolPeriod.insert(*periods)
    next_month = calendar.monday_of((today.replace(day=1) + dt.timedelta(days=40)).replace(day=1)) + dt.timedelta(days=7)
    contracts = {
        r["email"]: r["id"]
        for r in await Contract.select(Contract.id, Contract.apprentice.email.as_alias("email")).where(
            Contract.apprentice.is_in([users["finn.schneider@rmm.example"], users["noah.fischer@rmm.example"]])
        )
    }
    await PlanItem.insert(
        PlanItem(contract=contracts["finn.schneider@rmm.example"], kind="vacation", start_date=next_month, end_date=next_month + dt.timedelta(days=4), label="Jahresurlaub", created_at=now),
        PlanItem(contract=contracts["noah.fischer@rmm.example"], kind="inter_company", start_date=next_month + dt.timedelta(days=7), end_date=next_month + dt.timedelta(days=11), label="Lehrgang Pneumatik", created_at=now),
    )
