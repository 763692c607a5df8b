"""Won't-fix tickets: the findings a ticket covered when an editor marked it `wontfix` stay quiet in later audits
until their evidence changes (a new finding, or the same one about other text, reopens the ticket)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auditor.models import Finding
from auditor.store.models import Ticket


def evidence_of(finding: dict[str, Any] | Finding) -> str:
    """What a won't-fix decision was about: the finding's evidence (its message when it has none)."""
    if isinstance(finding, Finding):
        return finding.evidence or finding.message
    return str(finding.get("evidence") or finding.get("message") or "")


def covered(session: Session, directory: str) -> dict[str, dict[str, str]]:
    """entry id -> {fingerprint: evidence} of the findings its won't-fix ticket covers."""
    rows = session.scalars(select(Ticket).where(Ticket.directory == directory, Ticket.status == "wontfix"))
    return {t.entry_id: {f["fingerprint"]: evidence_of(f) for f in t.findings} for t in rows}


def split_quiet(findings: list[Finding], wontfix: dict[str, dict[str, str]]) -> tuple[list[Finding], list[Finding]]:
    """(reported, quiet): a finding is quiet when its entry's won't-fix ticket covers its fingerprint with the same
    evidence."""
    if not wontfix:
        return findings, []
    reported, quiet = [], []
    for finding in findings:
        known = wontfix.get(finding.entry, {}).get(finding.fingerprint)
        (quiet if known is not None and known == evidence_of(finding) else reported).append(finding)
    return reported, quiet
