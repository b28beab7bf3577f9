"""Rules of the contact directory (K6): the people and offices around one apprentice and how to reach
them, shown only to the apprentice's circle."""

from __future__ import annotations

from leokop.accounts.schemas import CurrentUser
from leokop.contacts.circle import CONVERSATION_RELATIONS, Circle, Member, circle_of
from leokop.contacts.schemas import Contact, ContactsView
from leokop.errors import NotFound

GROUPS = {
    "apprentice": "apprentice",
    "guardian": "apprentice",
    "trainer": "company",
    "instructor": "company",
    "company_admin": "company",
    "teacher": "school",
}


def _shared_conversation(reader: Member, other: Member) -> str | None:
    """The narrowest conversation both take part in: staff among the places of learning, else the
    one with the apprentice."""
    if reader.user_id == other.user_id:
        return None
    shared = [kind for kind in ("staff", "with_apprentice") if {reader.relation, other.relation} <= CONVERSATION_RELATIONS[kind]]
    return shared[0] if shared else None


def _organisation(circle: Circle, group: str) -> str:
    return {"company": circle.company_name, "school": circle.school_name}.get(group, "")


async def directory(user: CurrentUser, contract_id: int) -> ContactsView:
    """Everyone in the contract's circle with role and how to reach them, the school's office and the
    chamber's training adviser when known; NotFound for anyone outside the circle."""
    circle = await circle_of(contract_id)
    reader = circle.member(user.id) if circle is not None else None
    if circle is None or reader is None:
        raise NotFound()
    contacts = [
        Contact(
            group=GROUPS[m.relation],
            title=m.title,
            name=m.name,
            email=m.email,
            phone=m.phone,
            organisation=_organisation(circle, GROUPS[m.relation]),
            subjects=m.subjects,
            user_id=m.user_id,
            conversation=_shared_conversation(reader, m),
        )
        for m in circle.members
    ]
    if circle.office_email or circle.office_phone:
        contacts.append(Contact("school", "school_office", circle.school_name, circle.office_email, circle.office_phone, circle.school_name))
    adviser = (circle.chamber_adviser_name, circle.chamber_adviser_email, circle.chamber_adviser_phone)
    if any(adviser):
        name = circle.chamber_adviser_name or circle.chamber_name
        contacts.append(Contact("chamber", "chamber_adviser", name, *adviser[1:], organisation=circle.chamber_name))
    return ContactsView(
        contract_id=contract_id,
        apprentice_name=circle.apprentice_name,
        company_name=circle.company_name,
        school_name=circle.school_name,
        school_class_name=circle.school_class_name,
        contacts=contacts,
    )
