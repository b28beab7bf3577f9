"""The circle (contacts.circle) as SQL, for queries that run without a contract at hand: the session
look-up counts unread conversations on every request, the conversation list finds a person's
conversations. A leaf module (no imports): the session look-up in accounts.service needs it."""


def member_contracts_sql(user: str, role: str, company: str) -> str:
    """SQL selecting the ids of the contracts in whose conversations a person takes part, for the
    queries that run without a contract at hand (the session look-up counts unread conversations on
    every request). `user`, `role` and `company` are SQL expressions for that person's id, role and
    company. One index look-up per branch; each branch matches only its role's people (only
    apprentices have contracts as apprentice, only company people are named on contracts, only
    teachers teach classes). It must agree with circle_of: tests/integration/test_conversations.py
    compares the two for every demo person and contract."""
    return (
        f"SELECT k.id FROM contract k WHERE k.apprentice = {user}"
        f' UNION ALL SELECT cs.contract FROM contract_staff cs WHERE cs."user" = {user}'
        f" UNION ALL SELECT k.id FROM contract k WHERE k.company = CASE WHEN {role} = 'company_admin' THEN {company} END"
        f" UNION ALL SELECT k.id FROM contract k JOIN class_teacher ct ON ct.school_class = k.school_class WHERE ct.teacher = {user}"
    )


def member_kinds_sql(kind: str, role: str) -> str:
    """SQL condition: the conversation kind `kind` is one a person of role `role` takes part in
    (apprentices never in the staff conversation)."""
    return f"({kind} = 'with_apprentice' OR {role} <> 'apprentice')"
