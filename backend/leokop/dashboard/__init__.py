"""Dashboard: each role's start page."""
