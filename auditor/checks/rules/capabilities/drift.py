"""The three version-lag rules differ only in which lag they report; this is their shared check."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from auditor.checks.base import AuditContext
from auditor.checks.registry import Version
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of
from auditor.models import Entry, Finding


class VersionLagRule(PackageRule):
    lag: ClassVar[str]  # major | minor | patch
    reason = "VERSION_DRIFT"
    claim = "version"

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None or package.parsed is None:
            return
        answer = answer_for(package, ctx)
        latest = Version.parse(answer.latest) if answer.status == "ok" and answer.latest else None
        if latest is None or package.parsed.lag(latest) != self.lag:
            return
        behind = {"major": "a major version", "minor": "a minor version", "patch": "a patch release"}[self.lag]
        yield self.finding(
            entry,
            f"pins {package.label}; {package.registry_name}'s latest release is {latest} ({behind} behind)",
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}",
            evidence=f"package: {package.registry} {package.label}; latest: {latest}"
                     + (f" ({answer.url})" if answer.url else ""),
            claim_date=answer.release_date(package.version or ""),
            fix=f"Read {package.name}'s changes up to {latest}, update what the entry says about it, "
                f"and set `package.version: {latest}`.",
        )
