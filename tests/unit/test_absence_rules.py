"""The absence rule, every combination of relation × status written out as a table."""

from __future__ import annotations

import itertools

import pytest

from leokop.absences.rules import STATUSES, Action, Relation, allowed_actions, ever_allowed, may_record, refusal

A = Action
SCHOOL_FIXES = {A.correct, A.delete}

# (relation, status) → allowed actions; a pair that is not listed allows nothing.
EXPECTED: dict[tuple[Relation, str], set[Action]] = {
    (Relation.class_teacher, "open"): SCHOOL_FIXES | {A.excuse, A.unexcuse},
    (Relation.class_teacher, "excuse_requested"): SCHOOL_FIXES | {A.excuse, A.unexcuse},
    (Relation.class_teacher, "excused"): SCHOOL_FIXES | {A.unexcuse},  # the decision corrected
    (Relation.class_teacher, "unexcused"): SCHOOL_FIXES | {A.excuse},
    **{(Relation.school_admin, s): SCHOOL_FIXES for s in STATUSES},  # the office fixes records, never decides
    (Relation.company, "open"): {A.report_reason, A.request_excuse},
    (Relation.company, "excuse_requested"): {A.report_reason},
}


@pytest.mark.parametrize("relation,status", list(itertools.product([*Relation, None], STATUSES)))
def test_each_relation_may_do_exactly_this_in_each_status(relation, status):
    assert allowed_actions(relation, status) == frozenset(EXPECTED.get((relation, status), set()))


@pytest.mark.parametrize("relation,action", list(itertools.product([*Relation, None], Action)))
def test_ever_allowed_tells_never_from_not_now(relation, action):
    expected = may_record(relation) if action is A.record else any(action in EXPECTED.get((relation, s), ()) for s in STATUSES)
    assert ever_allowed(relation, action) == expected


def test_only_teachers_of_the_class_ever_decide():
    for relation, status in itertools.product([*Relation, None], STATUSES):
        decides = allowed_actions(relation, status) & {A.excuse, A.unexcuse}
        assert not decides or relation is Relation.class_teacher


def test_only_the_school_records():
    assert [r for r in Relation if may_record(r)] == [Relation.class_teacher, Relation.school_admin]
    assert not may_record(None)


def test_the_company_cannot_change_anything_once_decided():
    for status in ("excused", "unexcused"):
        assert allowed_actions(Relation.company, status) == frozenset()


def test_apprentice_and_guardian_only_read():
    for relation in (Relation.apprentice, Relation.guardian):
        assert not any(ever_allowed(relation, action) for action in Action)


@pytest.mark.parametrize(
    "relation,status,action,expected",
    [
        (Relation.class_teacher, "open", A.excuse, None),
        (Relation.company, "open", A.excuse, "forbidden"),  # 403: never for the company
        (Relation.apprentice, "open", A.request_excuse, "forbidden"),
        (Relation.school_admin, "open", A.unexcuse, "forbidden"),
        (Relation.company, "excuse_requested", A.request_excuse, "excuse_already_requested"),  # 409
        (Relation.company, "excused", A.report_reason, "absence_decided"),  # 409
        (Relation.company, "unexcused", A.request_excuse, "absence_decided"),
        (None, "open", A.correct, "forbidden"),
    ],
)
def test_refusals_say_forbidden_or_why_not_now(relation, status, action, expected):
    assert refusal(relation, status, action) == expected
