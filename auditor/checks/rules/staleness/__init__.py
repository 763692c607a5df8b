"""Rules of the staleness family."""
