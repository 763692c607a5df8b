"""Rules of the xref family."""
