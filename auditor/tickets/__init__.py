"""Refresh tickets: one per entry, holding its current findings, kept in step across runs."""
