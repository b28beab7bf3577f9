"""PDF export of the log (L13): the PDF/A document, its verification codes, and /verify."""
