"""Notifications: the durable e-mail outbox (and, later, web push)."""
