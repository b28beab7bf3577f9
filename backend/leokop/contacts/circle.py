"""The circle of an apprentice's contract: who belongs to it and how. The contact directory shows
the circle, conversations take place inside it, and nobody outside it finds either (404).

Decided (README, "Nachrichten und Kontakte"):
- Teachers belong to it through the apprentice's class alone: a message is not the log, so the
  reading consent (K1) does not matter here.
- The school's administration does not: it manages classes but does not teach the apprentice
  (least privilege, K9). Nor do substitutes: they act on the log only, for a while.
- Guardians of a minor see the contacts (to reach the company and the school) but take part in no
  conversation: the apprentice speaks for themselves with trainers and teachers, and the staff
  conversation is the places of learning's own.
- Only active accounts are members: an invited person who has not accepted cannot read anything.
"""

from __future__ import annotations

import msgspec

from leokop.accounts.schemas import Role
from leokop.accounts.tables import Guardianship, User
from leokop.contracts.service import adulthood_cutoff
from leokop.contracts.tables import Contract, ContractStaff
from leokop.organisations.tables import ClassTeacher
from leokop.timeutil import today_berlin

KINDS = ("with_apprentice", "staff")
# Who takes part in which conversation of a contract.
CONVERSATION_RELATIONS = {
    "with_apprentice": frozenset({"apprentice", "trainer", "instructor", "company_admin", "teacher"}),
    "staff": frozenset({"trainer", "instructor", "company_admin", "teacher"}),
}


class Member(msgspec.Struct, frozen=True):
    """One person of the circle. `relation`: apprentice | trainer | instructor | company_admin |
    teacher | guardian; a teacher may be the class lead (Klassenleitung) and teach `subjects`."""

    user_id: int
    name: str
    email: str
    phone: str
    relation: str
    class_lead: bool = False
    subjects: str = ""

    @property
    def title(self) -> str:
        """The key of the German label (templates): the class lead is named as such."""
        return "class_lead" if self.class_lead else self.relation


class Circle(msgspec.Struct, frozen=True):
    """A contract's circle with what the contact directory shows of the organisations."""

    contract_id: int
    apprentice_id: int
    apprentice_name: str
    company_name: str
    chamber_name: str
    chamber_adviser_name: str
    chamber_adviser_email: str
    chamber_adviser_phone: str
    school_name: str
    office_email: str
    office_phone: str
    school_class_name: str
    members: list[Member]

    def member(self, user_id: int) -> Member | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    def in_conversation(self, kind: str) -> list[Member]:
        relations = CONVERSATION_RELATIONS[kind]
        return [m for m in self.members if m.relation in relations]

    def takes_part(self, user_id: int, kind: str) -> bool:
        member = self.member(user_id)
        return member is not None and member.relation in CONVERSATION_RELATIONS[kind]


_PERSON = (User.id, User.display_name, User.email, User.phone)


def _member(row: dict, relation: str, prefix: str = "", **extra) -> Member:
    return Member(row[f"{prefix}id"], row[f"{prefix}display_name"], row[f"{prefix}email"], row[f"{prefix}phone"], relation, **extra)


async def circle_of(contract_id: int) -> Circle | None:
    """The circle of one contract (None if there is no such contract): the apprentice, the
    contract's trainers and instructors, the company's admins, the teachers of the apprentice's
    class, and the guardians while the apprentice is a minor. In at most five queries."""
    c = Contract
    rows = await c.select(
        c.apprentice.id.as_alias("id"),
        c.apprentice.display_name.as_alias("display_name"),
        c.apprentice.email.as_alias("email"),
        c.apprentice.phone.as_alias("phone"),
        c.apprentice.is_active.as_alias("is_active"),
        c.apprentice.birth_date.as_alias("birth_date"),
        c.company.id.as_alias("company_id"),
        c.company.name.as_alias("company_name"),
        c.company.chamber_name,
        c.company.chamber_adviser_name,
        c.company.chamber_adviser_email,
        c.company.chamber_adviser_phone,
        c.school.name.as_alias("school_name"),
        c.school.office_email,
        c.school.office_phone,
        c.school_class.id.as_alias("school_class_id"),
        c.school_class.name.as_alias("school_class_name"),
    ).where(c.id == contract_id)
    if not rows:
        return None
    row = rows[0]
    members = [_member(row, "apprentice")] if row["is_active"] else []
    s = ContractStaff
    staff = await s.select(
        s.user.id, s.user.display_name, s.user.email, s.user.phone, s.kind
    ).where(s.contract == contract_id, s.user.is_active.eq(True)).order_by(s.kind, ascending=False).order_by(s.user.display_name)
    members += [_member(r, r["kind"], "user.") for r in staff]
    admins = await User.select(*_PERSON).where(
        User.company == row["company_id"], User.role == Role.company_admin.value, User.is_active.eq(True)
    ).order_by(User.display_name)
    members += [_member(r, "company_admin") for r in admins]
    if row["school_class_id"] is not None:
        t = ClassTeacher
        teachers = await t.select(
            t.teacher.id, t.teacher.display_name, t.teacher.email, t.teacher.phone, t.is_class_lead, t.subjects
        ).where(t.school_class == row["school_class_id"], t.teacher.is_active.eq(True)).order_by(
            t.is_class_lead, ascending=False
        ).order_by(t.teacher.display_name)
        members += [_member(r, "teacher", "teacher.", class_lead=r["is_class_lead"], subjects=r["subjects"]) for r in teachers]
    birth = row["birth_date"]
    if birth is not None and birth > adulthood_cutoff(today_berlin()):
        g = Guardianship
        guardians = await g.select(
            g.guardian.id, g.guardian.display_name, g.guardian.email, g.guardian.phone
        ).where(g.apprentice == row["id"], g.guardian.is_active.eq(True)).order_by(g.guardian.display_name)
        members += [_member(r, "guardian", "guardian.") for r in guardians]
    # A company admin who is also named on the contract appears once, by the contract's role.
    seen: set[int] = set()
    unique = [m for m in members if not (m.user_id in seen or seen.add(m.user_id))]
    return Circle(
        contract_id=contract_id,
        apprentice_id=row["id"],
        apprentice_name=row["display_name"],
        company_name=row["company_name"],
        chamber_name=row["company.chamber_name"],
        chamber_adviser_name=row["company.chamber_adviser_name"],
        chamber_adviser_email=row["company.chamber_adviser_email"],
        chamber_adviser_phone=row["company.chamber_adviser_phone"],
        school_name=row["school_name"] or "",
        office_email=row["school.office_email"] or "",
        office_phone=row["school.office_phone"] or "",
        school_class_name=row["school_class_name"] or "",
        members=unique,
    )

