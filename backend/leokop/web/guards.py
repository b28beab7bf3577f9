"""The one guard every route passes: it looks up the route's action in the policy table."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from leokop import policy
from leokop.accounts import service as accounts
from leokop.accounts.schemas import CurrentUser


async def policy_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Deny unless the policy allows the route's action for the signed-in user.

    A route without an action is a programming error: it is refused here and fails the route walk test.
    """
    action = handler.opt.get("action")
    if action is None:
        raise PermissionDeniedException("route has no policy action")
    if action == policy.PUBLIC:
        return
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    if not await user_may(user, action):
        raise PermissionDeniedException()


async def user_may(user: CurrentUser, action: str) -> bool:
    """policy.can, with the one database fact some rules need looked up only when they need it."""
    if policy.rule_for(user, action) is policy.Rule.small_company:
        has_admin = user.company_id is None or await accounts.company_has_admin(user.company_id)
        return policy.can(user, action, company_has_admin=has_admin)
    return policy.can(user, action)
