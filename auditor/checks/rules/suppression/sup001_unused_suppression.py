from collections.abc import Iterable
from typing import Any

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity


class UnusedSuppression(Rule):
    code = "SUP001"
    name = "suppression.unused"
    severity = Severity.info
    depends_on = "entry"
    title = "An inline suppression silences nothing"
    what = (
        "Reports an `<!-- auditor-disable-next-line CODE -->`, an `<!-- auditor-disable CODE -->` range or an "
        "`audit-ignore` item naming a rule and a key (`XRF003:postmortem-taxonomy`) under which the rule it names "
        "found nothing this run. Suppressions of rules that are switched off are not reported."
    )
    why = (
        "A suppression written for a finding that has since been fixed would hide the next, unrelated finding of "
        "that rule on those lines: removing it keeps the entry's silences about what they were written for."
    )
    example = "`<!-- auditor-disable-next-line PRS001 -->` above a line that no longer hedges."
    fix = "Remove the suppression (or the code it names that no longer fires)."
    reason = "STRUCTURE"
    on_tickets = False

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        return ()  # found by the engine once every rule has run (auditor/checks/suppressions.py)

    def unused(self, entry: Entry, suppression: Any, codes: list[str]) -> Finding:
        written = suppression.written
        finding = self.finding(entry, f"the suppression `{written}` silences no {', '.join(codes)} finding",
                               evidence=written, key=f"{written} {' '.join(codes)}",
                               fix=f"Remove the suppression of {', '.join(codes)}.")
        finding.path, finding.line = suppression.path, suppression.line
        return finding
