"""Rules of the duplicates family: entries that are, or nearly are, another entry."""
