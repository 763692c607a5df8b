"""The entry cache (auditor/checks/cache.py): a run that reuses unchanged entries' findings finds exactly what a
full run finds, on the example directory and on a generated one after edits, renames and deletions."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from auditor.checks.cache import FILE_NAME
from auditor.config import load_config
from auditor.models import Finding
from auditor.pipeline import check_entries, load_entries
from tests.helpers import AS_OF

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples" / "directory"


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # the cache's secret key lives there
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)  # these test the cache: on even in a --no-cache suite run


def generator():  # noqa: ANN201 - bench/generate.py as a module
    spec = importlib.util.spec_from_file_location("bench_generate", PROJECT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def run(root: Path, cached: bool, as_of: str = AS_OF, only: set[str] | None = None,
        report: dict[str, int] | None = None) -> list[dict]:
    """Every finding's whole record (fingerprint, edit, dates included), in the order the run gives them."""
    config = load_config(root)
    entries = load_entries(root, config, use_cache=cached)
    findings: list[Finding] = check_entries(entries, config, dt.date.fromisoformat(as_of), only=only, root=root,
                                            use_cache=cached, cache_report=report)
    return [{name: getattr(f, name) for name in Finding.__dataclass_fields__} for f in findings]


def same_as_full(root: Path, as_of: str = AS_OF, only: set[str] | None = None) -> dict[str, int]:
    report: dict[str, int] = {}
    cached = run(root, True, as_of, only, report)
    assert cached == run(root, False, as_of, only)
    return report


def test_the_example_directory_gives_the_same_findings_from_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    same_as_full(root)
    assert not (root / ".auditor").exists()  # no folder of the auditor's: nothing written into the directory
    (root / ".auditor").mkdir()  # as an audit with the default store makes it
    first = same_as_full(root)
    assert first["results_reused"] == 0 and (root / ".auditor" / FILE_NAME).is_file()
    again = same_as_full(root)
    assert again["results_reused"] > 0 and again["entries_reused"] == len(load_entries(root, load_config(root)))
    written = (root / ".auditor" / FILE_NAME).stat().st_mtime_ns
    run(root, True)
    assert (root / ".auditor" / FILE_NAME).stat().st_mtime_ns == written  # nothing changed: nothing rewritten
    # Another day: only what depends on the date is judged again, and the findings still match a full run.
    later = same_as_full(root, as_of="2027-03-01")
    assert 0 < later["results_reused"] < again["results_reused"]


def test_a_generated_directory_after_edits_renames_and_deletions(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    generator().generate(300, root, seed=3)
    (root / ".auditor").mkdir()
    files = sorted(p for p in root.rglob("*.md"))
    assert same_as_full(root)["results_reused"] == 0
    full = same_as_full(root)["results_reused"]
    assert full > 0

    # Edits: a placeholder, a vague sentence, a broken related id, a copy of another entry's body.
    edited = files[3].read_text(encoding="utf-8").replace("## Use cases\n", "## Use cases\n\nTODO: fill in.\n", 1)
    files[3].write_text(edited, encoding="utf-8")
    text = files[10].read_text(encoding="utf-8")
    files[10].write_text(text + "\nThis is arguably the most incredibly powerful tool, basically.\n",
                         encoding="utf-8")
    text = files[20].read_text(encoding="utf-8")
    files[20].write_text(text.replace("related: [", "related: [no-such-entry-id, ", 1), encoding="utf-8")
    files[30].write_text(files[31].read_text(encoding="utf-8"), encoding="utf-8")
    after_edits = same_as_full(root)
    assert 0 < after_edits["results_reused"] < full

    # A rename (the id follows the file name or stays in the front matter) and deletions: entries that list the
    # deleted ids now point at nothing, though their own files did not change.
    files[40].rename(files[40].with_name("renamed-" + files[40].name))
    for path in files[50:55]:
        path.unlink()
    after_moves = same_as_full(root)
    assert after_moves["results_reused"] > 0
    assert any(f["code"] == "XRF001" for f in run(root, True))

    # A check of a few entries reads the cache the audits wrote, and writes back only theirs.
    some = {p.relative_to(root).as_posix() for p in files[60:63]}
    assert same_as_full(root, only=some)["results_reused"] > 0
    assert same_as_full(root)["entries_reused"] > 250


def test_changing_the_configuration_or_no_cache_starts_afresh(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    (root / ".auditor").mkdir()
    same_as_full(root)
    toml = root / "auditor.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[rules]\ndisable = [\"PRS001\"]\n", encoding="utf-8")
    changed = same_as_full(root)
    assert changed["results_reused"] == 0
    assert not any(f["code"] == "PRS001" for f in run(root, True))
    # A cache file written elsewhere (committed into the directory, say) is not trusted: other secret, no reuse.
    written = (root / ".auditor" / FILE_NAME).read_bytes()
    (root / ".auditor" / FILE_NAME).write_bytes(written[:-40] + bytes(b ^ 1 for b in written[-40:]))
    assert same_as_full(root)["results_reused"] == 0


def test_offline_registry_answers_are_reused_while_the_registry_cache_holds_the_same(tmp_path: Path) -> None:
    """Offline, the CAP rules judge the answers the store's registry cache holds: reused while those answers stay
    the same, judged again when one is added or refetched. A client that may ask the network is never reused."""
    from auditor.checks.registry import MemoryCache, RegistryClient

    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    (root / ".auditor").mkdir()
    kept = MemoryCache()

    def findings(cached: bool, offline: bool = True, report: dict[str, int] | None = None) -> list[dict]:
        config = load_config(root)
        entries = load_entries(root, config, use_cache=cached)
        client = RegistryClient(cache=kept, offline=offline)
        found = check_entries(entries, config, dt.date.fromisoformat(AS_OF), root=root, use_cache=cached,
                              cache_report=report, registry=client)
        return [{name: getattr(f, name) for name in Finding.__dataclass_fields__} for f in found]

    def cap(records: list[dict]) -> set[tuple[str, str]]:
        return {(f["entry"], f["code"]) for f in records if f["code"].startswith("CAP")}

    assert findings(True) == findings(False)
    report: dict[str, int] = {}
    unverified = findings(True, report=report)
    assert unverified == findings(False) and ("postgres-mcp", "CAP008") in cap(unverified)
    every = report["results_reused"]
    assert report["entries_reused"] == len(load_entries(root, load_config(root)))

    # The registry cache learns of a newer release (a run with network access fetched it): judged afresh.
    fetched = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    kept.put_many([(("pypi", "https://pypi.org", "postgres-mcp"),
                    {"status": "ok", "latest": "1.2.0", "versions": ["0.3.0", "1.2.0"]}, fetched)])
    report = {}
    answered = findings(True, report=report)
    assert answered == findings(False)
    assert ("postgres-mcp", "CAP001") in cap(answered) and ("postgres-mcp", "CAP008") not in cap(answered)
    assert report["results_reused"] < every
    assert findings(True) == answered

    # A client that may ask the network: the CAP rules' findings are never reused (nor kept).
    from auditor.checks.base import AuditContext
    from auditor.checks.engine import get_rule

    ctx = AuditContext.build([], load_config(root), dt.date.fromisoformat(AS_OF))
    ctx.registry = RegistryClient(cache=kept, offline=False)
    assert get_rule("CAP001")().dependency(ctx) == ""
    ctx.registry = RegistryClient(cache=kept, offline=True)
    assert get_rule("CAP001")().dependency(ctx) == "registry"
