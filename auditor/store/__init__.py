"""The store: runs, entry snapshots, findings, tickets and their events (SQLAlchemy 2)."""
