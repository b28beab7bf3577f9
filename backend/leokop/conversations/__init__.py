"""Messages (Nachrichten) about one apprentice between company, school and apprentice (K7)."""
