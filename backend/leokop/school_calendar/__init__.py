"""School calendar (Blockplan / Berufsschultage), the company's plan and the iCal feed (K5)."""
