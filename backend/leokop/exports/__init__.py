"""Exports of the log: the PDF/A document, verification codes, share links for the chamber, and the data export."""
