from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of, same_version
from auditor.models import Entry, Finding, Severity


class YankedVersion(PackageRule):
    code = "CAP004"
    name = "capabilities.yanked-version"
    severity = Severity.error
    reason = "VERSION_YANKED"
    claim = "version"
    title = "The pinned version has been yanked from PyPI"
    what = "Reports an entry whose `package.version` is a PyPI release whose files are all marked `yanked`, with the yank reason when PyPI gives one."
    why = "A yanked release was withdrawn on purpose, often for a security or data-loss bug; an entry that tells readers to install it does harm."
    example = "`package: {registry: pypi, name: some-package, version: 1.4.0}`, and PyPI marks 1.4.0 yanked: \"corrupts the cache\"."
    fix = "Point the entry at a release that is not yanked (usually the latest) and check whether the yank reason changes what the entry says."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None or package.version is None:
            return
        answer = answer_for(package, ctx)
        if answer.status != "ok":
            return
        hit = next((v for v in answer.yanked if same_version(v, package.version)), None)
        if hit is None:
            return
        reason = answer.yanked[hit]
        yield self.finding(
            entry, f"{package.label} was yanked from {package.registry_name}" + (f": {reason}" if reason else ""),
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}:{package.version}",
            evidence=f"package: {package.registry} {package.label}" + (f" ({answer.url})" if answer.url else ""),
            claim_date=answer.release_date(hit),
            fix="Set `package.version` to a release that is not yanked"
                + (f" (the latest is {answer.latest})" if answer.latest else "") + " and re-check the entry.",
        )
