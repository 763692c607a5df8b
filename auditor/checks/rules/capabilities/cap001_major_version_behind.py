from auditor.checks.rules.capabilities.drift import VersionLagRule
from auditor.models import Severity


class MajorVersionBehind(VersionLagRule):
    code = "CAP001"
    name = "capabilities.major-version-behind"
    severity = Severity.warning
    lag = "major"
    title = "The entry pins a package a major version behind the registry's latest release"
    what = "Compares `package: {registry, name, version}` with the latest release that PyPI (`info.version`) or npm (`dist-tags.latest`) reports, and reports a pinned version whose major number is lower. Registry answers are fetched once per run and cached in the store (`registry_cache_ttl_hours`); offline nothing is compared (see CAP008)."
    why = "A major release changes interfaces: install commands, options and capabilities described for the old major are probably wrong now."
    example = "`package: {registry: pypi, name: postgres-mcp, version: 0.3.0}` while PyPI's latest is 1.2.0."
    fix = "Read the package's changes up to the latest release, update the entry's instructions and capabilities, and set `package.version` to it."
