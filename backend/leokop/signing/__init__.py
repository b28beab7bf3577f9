"""Signing: trainers approve, teachers co-sign, guardians acknowledge; every signature bound to a content hash."""
