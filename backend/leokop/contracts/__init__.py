"""Contracts: the Ausbildungsverhältnis that a training log belongs to."""
