"""Curriculum: occupations with their official Ausbildungsrahmenplan and Lernfelder."""
