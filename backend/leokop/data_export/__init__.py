"""The data export (L16): everything about an apprentice as a ZIP with a versioned JSON file and the PDF of the log."""
