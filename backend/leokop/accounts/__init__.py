"""Accounts: people, their sign-in, sessions, invitations, password resets and API tokens."""
