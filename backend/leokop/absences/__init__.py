"""Absences (Fehlzeiten) recorded by the school, seen and questioned by the company (K4)."""
