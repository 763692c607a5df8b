"""What the CAP rules share: reading `package:`, asking the registry once per run, and describing answers."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.checks.base import AuditContext, Rule
from auditor.checks.registry import REGISTRIES, Answer, RegistryClient, Version
from auditor.models import Entry

REGISTRY_NAMES = {"pypi": "PyPI", "npm": "npm"}


@dataclass(frozen=True)
class Package:
    registry: str
    name: str
    version: str | None

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def registry_name(self) -> str:
        return REGISTRY_NAMES.get(self.registry, self.registry)

    @property
    def parsed(self) -> Version | None:
        return Version.parse(self.version) if self.version else None


def package_of(entry: Entry) -> Package | None:
    """The entry's `package: {registry, name, version}`, or None when it has none (or not a usable one)."""
    data = entry.meta.get("package")
    if not isinstance(data, dict) or not data.get("registry") or not data.get("name"):
        return None
    version = data.get("version")
    return Package(str(data["registry"]).strip().lower(), str(data["name"]).strip(),
                   str(version).strip() if version not in (None, "") else None)


_UNREAD = ("", "")  # an entry whose package was not read yet (None: it names none a registry answers for)


class PackageRule(Rule):
    """A rule that needs registry answers: `prepare()` fetches every package it will judge, once."""

    def dependency(self, ctx: AuditContext) -> str:
        # Offline, an answer comes from the store's registry cache (or is "unverified"): the findings are reused
        # while that cache holds the same answers. A client that may ask the network is never reused.
        client: RegistryClient | None = ctx.registry
        return "registry" if client is None or client.offline else ""

    def prepare(self, ctx: AuditContext) -> None:
        client: RegistryClient | None = ctx.registry
        if client is None:
            return
        wanted = ctx.targets if ctx.targets is not None else ctx.entries
        if ctx.rechecked is not None:  # the entry cache gave the rest: only the entries this rule checks again
            wanted = [entry for entry in ctx.rechecked if self.code not in ctx.reused.get(entry.path, ())]
        known = ctx._packages  # each entry's package, read by the first CAP rule that asks for it (nine ask)
        asked: list[tuple[str, str]] = []
        for entry in wanted:
            pair = known.get(entry.path, _UNREAD)
            if pair is _UNREAD:
                package = package_of(entry)
                pair = known[entry.path] = ((package.registry, package.name)
                                            if package and package.registry in REGISTRIES else None)
            if pair is not None:
                asked.append(pair)
        client.prefetch(asked)


def answer_for(package: Package, ctx: AuditContext) -> Answer:
    client: RegistryClient | None = ctx.registry
    if package.registry not in REGISTRIES:
        return Answer(package.registry, package.name, "unsupported",
                      detail=f"the auditor knows no registry called {package.registry!r} (it knows pypi and npm)")
    if client is None:
        return Answer(package.registry, package.name, "unverified", detail="offline")
    return client.lookup(package.registry, package.name)


def same_version(a: str, b: str) -> bool:
    pa, pb = Version.parse(a), Version.parse(b)
    if pa is None or pb is None:
        return a.strip() == b.strip()
    size = max(3, len(pa.release), len(pb.release))
    return pa.padded(size) == pb.padded(size) and pa.final == pb.final and (pa.final or a.strip() == b.strip())
