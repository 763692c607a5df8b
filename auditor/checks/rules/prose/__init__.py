"""Rules of the prose family (PRS): Vale-style packs under rules/prose/, run by auditor/checks/prose.py."""
