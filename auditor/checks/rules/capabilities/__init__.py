"""Rules of the capabilities family (CAP): package versions against their registry, and version claims."""
