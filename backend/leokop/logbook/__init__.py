"""Logbook: the apprentice's training log (Ausbildungsnachweis): weeks, days, entries."""
