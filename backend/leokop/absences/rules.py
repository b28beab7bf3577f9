"""An absence's life as one pure rule: who (by their relation to the apprentice) may do what, in which status.

```
open ──company asks──▶ excuse_requested
  │                        │
  └──teacher decides───────┴──▶ excused ◀──teacher corrects──▶ unexcused
```
The company may add a reason (sick, company assignment) while nothing is decided; only a teacher of
the class decides, and may correct a decision. Pages, the API and the service all ask
`allowed_actions`; nothing else decides whether a button appears or a request is accepted.
"""

from __future__ import annotations

import enum


class Relation(str, enum.Enum):
    """How the signed-in person stands to the apprentice whose absence it is."""

    class_teacher = "class_teacher"  # teaches the apprentice's class
    school_admin = "school_admin"  # the school's administration (office)
    company = "company"  # trainer or instructor named on the contract, or the company's admin
    apprentice = "apprentice"
    guardian = "guardian"  # of a minor apprentice: reads only


class Action(str, enum.Enum):
    record = "record"
    correct = "correct"  # date, lessons, note of a mistaken record
    delete = "delete"
    excuse = "excuse"  # entschuldigt
    unexcuse = "unexcuse"  # unentschuldigt
    report_reason = "report_reason"  # the company: sick or on a company assignment
    request_excuse = "request_excuse"  # the company: "Entschuldigung anfordern"


STATUSES = ("open", "excuse_requested", "excused", "unexcused")
UNDECIDED = ("open", "excuse_requested")
SCHOOL = (Relation.class_teacher, Relation.school_admin)
# The decision each deciding action leads to.
DECISIONS = {Action.excuse: "excused", Action.unexcuse: "unexcused"}


def may_record(relation: Relation | None) -> bool:
    """Attendance is the school's own record: its people record, nobody else."""
    return relation in SCHOOL


def allowed_actions(relation: Relation | None, status: str) -> frozenset[Action]:
    """Everything `relation` may do to an existing absence in `status`."""
    actions: set[Action] = set()
    if relation in SCHOOL:
        actions |= {Action.correct, Action.delete}
    if relation is Relation.class_teacher:
        # Deciding again the other way is the correction of a decision; the same way again is no change.
        actions |= {action for action, decided in DECISIONS.items() if decided != status}
    if relation is Relation.company and status in UNDECIDED:
        actions.add(Action.report_reason)
        if status == "open":
            actions.add(Action.request_excuse)
    return frozenset(actions)


def ever_allowed(relation: Relation | None, action: Action) -> bool:
    """Whether some status allows it: tells "not now" (409) from "never for you" (403)."""
    if action is Action.record:
        return may_record(relation)
    return any(action in allowed_actions(relation, status) for status in STATUSES)


def refusal(relation: Relation | None, status: str, action: Action) -> str | None:
    """None if allowed; else "forbidden" (never for this person) or the code of the German message
    that says why not in this status."""
    if action in allowed_actions(relation, status):
        return None
    if not ever_allowed(relation, action):
        return "forbidden"
    if action is Action.request_excuse and status == "excuse_requested":
        return "excuse_already_requested"
    return "absence_decided"
