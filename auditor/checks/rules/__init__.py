"""One rule per module, grouped by family folder."""
