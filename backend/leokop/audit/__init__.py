"""Audit: the append-only, hash-chained record of everything that happens to a contract's log."""
