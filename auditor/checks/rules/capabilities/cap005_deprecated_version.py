from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.capabilities.packages import PackageRule, answer_for, package_of, same_version
from auditor.models import Entry, Finding, Severity


class DeprecatedVersion(PackageRule):
    code = "CAP005"
    name = "capabilities.deprecated-version"
    severity = Severity.warning
    reason = "VERSION_DEPRECATED"
    claim = "version"
    title = "The pinned version is deprecated on npm"
    what = "Reports an entry whose `package.version` carries a `deprecated` message in the npm registry, quoting the message (which often names the replacement package)."
    why = "npm marks a version deprecated when its authors want nobody to install it: it is unmaintained, broken, or replaced by another package."
    example = "`package: {registry: npm, name: \"@scope/server-old\", version: 0.6.2}`, deprecated: \"Package no longer supported. Use @scope/server.\""
    fix = "Follow the deprecation message: move the entry to the replacement package or to a version that is not deprecated."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        package = package_of(entry)
        if package is None or package.version is None:
            return
        answer = answer_for(package, ctx)
        if answer.status != "ok":
            return
        hit = next((v for v in answer.deprecated if same_version(v, package.version)), None)
        if hit is None:
            return
        yield self.finding(
            entry, f"{package.label} is deprecated on {package.registry_name}: {answer.deprecated[hit]}",
            line=entry.line_of("package"), key=f"{package.registry}:{package.name}:{package.version}",
            evidence=f"package: {package.registry} {package.label}" + (f" ({answer.url})" if answer.url else ""),
            claim_date=answer.release_date(hit),
        )
