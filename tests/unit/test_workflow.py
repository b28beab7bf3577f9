"""The week's workflow rule, every combination of relation × state × flags written out as a table."""

from __future__ import annotations

import itertools

import pytest

from leokop.signing.workflow import Action, Flags, Relation, allowed_actions, ever_allowed

A = Action
STATES = ("missing", "draft", "submitted", "returned", "approved")

# (relation, state) → allowed actions when no co-sign or acknowledgement exists yet.
EXPECTED: dict[tuple[Relation, str], set[Action]] = {
    (Relation.apprentice, "missing"): {A.edit, A.submit},
    (Relation.apprentice, "draft"): {A.edit, A.submit},
    (Relation.apprentice, "returned"): {A.edit, A.submit},
    (Relation.apprentice, "submitted"): set(),
    (Relation.apprentice, "approved"): set(),
    **{(r, "submitted"): {A.approve, A.return_} for r in (Relation.trainer, Relation.instructor, Relation.substitute, Relation.company_admin)},
    (Relation.trainer, "approved"): {A.reopen},
    (Relation.substitute, "approved"): {A.reopen},
    (Relation.company_admin, "approved"): {A.reopen},
    (Relation.instructor, "approved"): set(),  # instructors approve on behalf, but never undo a signature
    (Relation.teacher, "submitted"): {A.cosign},
    (Relation.teacher, "approved"): {A.cosign},
    (Relation.guardian, "submitted"): {A.acknowledge},
    (Relation.guardian, "approved"): {A.acknowledge},
}


@pytest.mark.parametrize("relation,state", list(itertools.product(Relation, STATES)))
def test_each_relation_may_do_exactly_this_in_each_state(relation, state):
    assert allowed_actions(relation, state) == frozenset(EXPECTED.get((relation, state), set()))


@pytest.mark.parametrize("relation,state", list(itertools.product(Relation, STATES)))
def test_a_valid_cosign_or_acknowledgement_is_not_offered_again(relation, state):
    done = allowed_actions(relation, state, Flags(cosigned=True, acknowledged=True))
    assert done == allowed_actions(relation, state) - {A.cosign, A.acknowledge}


def test_a_colleague_only_reads():
    assert all(not allowed_actions(Relation.colleague, state) for state in STATES)
    assert not any(ever_allowed(Relation.colleague, action) for action in Action)


@pytest.mark.parametrize("relation,action", list(itertools.product(Relation, Action)))
def test_ever_allowed_tells_never_from_not_now(relation, action):
    assert ever_allowed(relation, action) == any((relation, s) in EXPECTED and action in EXPECTED[(relation, s)] for s in STATES)


def test_nobody_signs_a_week_that_was_not_submitted():
    for relation, state in itertools.product(Relation, ("missing", "draft", "returned")):
        assert not allowed_actions(relation, state) & {A.approve, A.return_, A.reopen, A.cosign, A.acknowledge}


def test_only_the_apprentice_ever_edits():
    for relation, state in itertools.product(Relation, STATES):
        assert (A.edit in allowed_actions(relation, state)) == (relation is Relation.apprentice and state in ("missing", "draft", "returned"))
