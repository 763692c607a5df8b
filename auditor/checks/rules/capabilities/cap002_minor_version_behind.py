from auditor.checks.rules.capabilities.drift import VersionLagRule
from auditor.models import Severity


class MinorVersionBehind(VersionLagRule):
    code = "CAP002"
    name = "capabilities.minor-version-behind"
    severity = Severity.info
    lag = "minor"
    title = "The entry pins a package a minor version behind the registry's latest release"
    what = "Compares `package.version` with the registry's latest release and reports a pinned version with the same major number but a lower minor number. Info, because a minor release adds without breaking: what the entry says still works, it just misses what is new. The finding still feeds the entry's staleness score; raise it with `CAP002 = \"warning\"` under `[rules.severity]`."
    why = "New capabilities arrive in minor releases; an entry several minors behind undersells the package and will drift further."
    example = "`package: {registry: npm, name: \"@scope/server\", version: 1.2.0}` while npm's latest is 1.5.1."
    fix = "Check what the newer minor releases added, mention what matters, and set `package.version` to the latest release."
