"""Exam admission (L14): the completeness check before the chamber gets the log, and share links for chamber staff."""
