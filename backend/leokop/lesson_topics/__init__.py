"""Lesson topics (Unterrichtsthemen) a teacher publishes per class, prefilled into the logs (K2)."""
