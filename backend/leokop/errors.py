"""Domain errors that services raise and routes turn into pages, fragments or HTTP errors."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation a user can cause."""


class NotFound(DomainError):
    """The object does not exist or is not visible to this user (the two are never told apart)."""


class Forbidden(DomainError):
    """The user may see the object but not do this to it."""


class ValidationFailed(DomainError):
    """Input broke a rule; `errors` maps a field name to a message code from leokop.messages."""

    def __init__(self, errors: dict[str, str], **params: object) -> None:
        super().__init__(", ".join(f"{field}: {code}" for field, code in errors.items()))
        self.errors = errors
        self.params = params


class Conflict(DomainError):
    """A save was based on an older version than the stored one (another device changed it first).
    `current` is what is stored now (None if it was deleted), so the user can compare and choose."""

    def __init__(self, current: object | None) -> None:
        super().__init__("version conflict")
        self.current = current


class StateConflict(DomainError):
    """The object is not in a state that allows this action (any more), e.g. approving a week that
    was returned meanwhile; `code` names the German message (HTTP 409)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
