"""The policy table itself: small-company rules and unknown actions."""

import pytest

from leokop import policy
from leokop.accounts.schemas import CurrentUser, Role


def user(role: Role) -> CurrentUser:
    return CurrentUser(1, "a@example.org", "A", role, 1, "Firma", None, None)


def test_trainer_acts_as_admin_only_in_a_company_without_one():
    trainer = user(Role.trainer)
    assert policy.can(trainer, "people.invite", company_has_admin=False)
    assert not policy.can(trainer, "people.invite", company_has_admin=True)
    with pytest.raises(ValueError):
        policy.can(trainer, "people.invite")


def test_anonymous_users_may_only_do_public_things():
    assert policy.can(None, policy.PUBLIC)
    assert not policy.can(None, "start.view")


def test_unknown_actions_are_a_programming_error():
    with pytest.raises(KeyError):
        policy.can(user(Role.admin), "alles.duerfen")


def test_invitable_roles_stay_inside_the_inviters_world():
    assert set(policy.INVITABLE_ROLES[Role.school_admin]) <= {Role.school_admin, Role.teacher}
    assert Role.company_admin not in policy.INVITABLE_ROLES[Role.trainer]
    assert Role.admin not in {r for roles in policy.INVITABLE_ROLES.values() for r in roles}
