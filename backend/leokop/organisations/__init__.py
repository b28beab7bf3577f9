"""Organisations: training companies, vocational schools and their classes."""
