"""Contact directory per apprentice (K6) and the apprentice's circle that messages share (K7)."""
