"""Sources: where entries come from. Every source yields the same `Entry` objects."""
