"""The week's workflow as one pure rule: who (by their relation to the week) may do what, in which state.

Pages, the JSON API, the services and the authorisation tests all ask `allowed_actions`; nothing else
decides whether a button appears or a request is accepted. No database, no web framework.
"""

from __future__ import annotations

import enum

import msgspec


class Relation(str, enum.Enum):
    """How the signed-in person stands to one apprentice's contract."""

    apprentice = "apprentice"  # the apprentice who writes this log
    trainer = "trainer"  # a trainer (Ausbilder/in) named on the contract
    instructor = "instructor"  # an instructor (Ausbildungsbeauftragte/r) named on the contract
    substitute = "substitute"  # stands in for one of the contract's trainers today
    company_admin = "company_admin"  # the company's admin, not named on the contract
    colleague = "colleague"  # another trainer of the company: reads, never signs
    teacher = "teacher"  # teaches the apprentice's class, and the apprentice agreed
    guardian = "guardian"  # guardian of a minor apprentice


class Action(str, enum.Enum):
    edit = "edit"
    submit = "submit"
    approve = "approve"
    return_ = "return"
    reopen = "reopen"
    cosign = "cosign"
    acknowledge = "acknowledge"


class Flags(msgspec.Struct, frozen=True):
    """Facts about the week beyond its state."""

    cosigned: bool = False  # a co-sign that still matches the school part exists
    acknowledged: bool = False  # the guardian took note of exactly this content already


EDITABLE = ("missing", "draft", "returned")
SIGNABLE = ("submitted", "approved")
REVIEWERS = (Relation.trainer, Relation.instructor, Relation.substitute, Relation.company_admin)
# Reopening undoes a signature: only those who answer for the training, not instructors.
REOPENERS = (Relation.trainer, Relation.substitute, Relation.company_admin)


def allowed_actions(relation: Relation, state: str, flags: Flags = Flags()) -> frozenset[Action]:
    """Everything `relation` may do to a week in `state` (missing | draft | submitted | returned | approved)."""
    actions: set[Action] = set()
    if relation is Relation.apprentice and state in EDITABLE:
        actions |= {Action.edit, Action.submit}
    if relation in REVIEWERS and state == "submitted":
        actions |= {Action.approve, Action.return_}
    if relation in REOPENERS and state == "approved":
        actions.add(Action.reopen)
    if relation is Relation.teacher and state in SIGNABLE and not flags.cosigned:
        actions.add(Action.cosign)
    if relation is Relation.guardian and state in SIGNABLE and not flags.acknowledged:
        actions.add(Action.acknowledge)
    return frozenset(actions)


def ever_allowed(relation: Relation, action: Action) -> bool:
    """Whether some state allows it: tells "not now" (409) from "never for you" (403)."""
    return any(action in allowed_actions(relation, state) for state in (*EDITABLE, *SIGNABLE))
