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
from auditor.checks.digests import FILE_NAME as DIGESTS_FILE
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


def test_after_an_edit_the_registry_is_asked_only_for_the_packages_of_the_entries_checked_again(
        tmp_path: Path) -> None:
    from auditor.checks.registry import MemoryCache, RegistryClient

    class AskedCache(MemoryCache):  # the store's registry cache, noting which answers the client looks up
        def __init__(self) -> None:
            super().__init__()
            self.asked: set[str] = set()

        def get_many(self, keys: list) -> dict:
            self.asked.update(key[-1] for key in keys)
            return super().get_many(keys)

    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    (root / ".auditor").mkdir()

    def asked() -> set[str]:
        config = load_config(root)
        cache = AskedCache()
        check_entries(load_entries(root, config), config, dt.date.fromisoformat(AS_OF), root=root, use_cache=True,
                      registry=RegistryClient(cache=cache, offline=True))
        return cache.asked

    assert {"postgres-mcp", "mcp-server-fetch", "@modelcontextprotocol/server-memory"} <= asked()  # every package
    edited = root / "mcp" / "postgres-mcp.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert asked() == {"postgres-mcp"}


# --- neighbours: cross-entry rules checked again only where a change reaches ------------------------------------

def _body_of(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def _set_field(text: str, name: str, value: str) -> str:
    head, body = text.split("\n---\n", 1)
    lines = [line for line in head.splitlines() if not line.startswith(f"{name}:")]
    return "\n".join([*lines, f"{name}: {value}"]) + "\n---\n" + body


def _codes(records: list[dict], code: str) -> set[str]:
    return {f["path"] for f in records if f["code"] == code}


@pytest.fixture
def digested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - (root, files, calls)
    """A generated directory with digests (a check of every file makes them) and an entry cache; the files edited
    by the tests are digested at once (no racy window), and each duplicate index built from digests is noted."""
    from auditor.checks import digests
    from auditor.checks.rules.duplicates import _query

    monkeypatch.setattr(digests, "RACY_SECONDS", 0)
    calls: list[int] = []
    original = _query.candidates_in_audit

    def noted(ctx, targets):  # noqa: ANN001, ANN202
        found = original(ctx, targets)
        calls.append(-1 if found is None else len(targets))
        return found

    monkeypatch.setattr(_query, "candidates_in_audit", noted)
    root = tmp_path / "directory"
    generator().generate(300, root, seed=3)
    (root / ".auditor").mkdir()
    files = sorted(root.rglob("*.md"))
    same_as_full(root, only={p.relative_to(root).as_posix() for p in files})  # makes the digests
    assert (root / ".auditor" / DIGESTS_FILE).is_file()
    same_as_full(root)
    calls.clear()
    return root, [p for p in files if p.relative_to(root).parts[0] == "mcp"], calls  # entries of one kind


def test_a_duplicate_pair_made_and_undone_by_an_edit_in_either_order(digested) -> None:  # noqa: ANN001
    root, files, calls = digested
    earlier, later = files[30], files[50]
    earlier_text, later_text = earlier.read_text(encoding="utf-8"), later.read_text(encoding="utf-8")
    later_path = later.relative_to(root).as_posix()

    # The later entry of the pair is edited into a copy of the earlier one's body: reported on the edited entry.
    later.write_text(later_text.split("\n---\n", 1)[0] + "\n---\n" + _body_of(earlier_text), encoding="utf-8")
    same_as_full(root)
    assert later_path in _codes(run(root, True), "DUP003")
    later.write_text(later_text, encoding="utf-8")
    same_as_full(root)
    assert later_path not in _codes(run(root, True), "DUP003")

    # The earlier one is edited into a copy of the later one's: reported on the later, unchanged entry.
    earlier.write_text(earlier_text.split("\n---\n", 1)[0] + "\n---\n" + _body_of(later_text), encoding="utf-8")
    report = same_as_full(root)
    assert later_path in _codes(run(root, True), "DUP003")
    assert calls and all(0 < count < 20 for count in calls)  # a few entries indexed, not all 300
    assert report["entries_reused"] > 250
    earlier.write_text(earlier_text, encoding="utf-8")
    same_as_full(root)
    assert later_path not in _codes(run(root, True), "DUP003")
    assert all(0 < count < 80 for count in calls)


def test_a_shared_feature_becoming_common_or_rare_by_edits(digested) -> None:  # noqa: ANN001
    """Two unchanged entries pair on the rare word runs of their summaries; the same runs written into more entries
    make them common (no pair), and taking them out again makes them rare (the pair is back)."""
    root, files, calls = digested
    summary = ("Quillfern relay keeps weekly vendor ledgers reconciled across regional offices with signed "
               "nightly snapshots")
    first, second = files[31], files[51]
    first.write_text(_set_field(first.read_text(encoding="utf-8"), "summary", summary), encoding="utf-8")
    second.write_text(_set_field(second.read_text(encoding="utf-8"), "summary", summary + " too"),
                      encoding="utf-8")
    same_as_full(root)
    second_path = second.relative_to(root).as_posix()
    assert second_path in _codes(run(root, True), "DUP002")

    others = [files[32], files[42], files[52], files[55]]
    texts = [path.read_text(encoding="utf-8") for path in others]
    for number, (path, text) in enumerate(zip(others, texts, strict=True)):
        path.write_text(_set_field(text, "summary", f"{summary} and {number} other things besides"),
                        encoding="utf-8")
    same_as_full(root)
    found = run(root, True)
    assert second_path not in _codes(found, "DUP002")  # six entries hold every run: none is rare now

    for path, text in zip(others[:3], texts[:3], strict=True):
        path.write_text(text, encoding="utf-8")
    same_as_full(root)
    assert second_path in _codes(run(root, True), "DUP002")
    assert calls and all(0 < count < 80 for count in calls)  # the holders of the features moved, not all 300


def test_renames_and_deletions_next_to_duplicates(digested) -> None:  # noqa: ANN001
    root, files, calls = digested
    source, copy = files[33], files[53]
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")  # an exact copy: DUP001 on the later
    same_as_full(root)
    copy_path = copy.relative_to(root).as_posix()
    assert copy_path in _codes(run(root, True), "DUP001")
    # The earlier one renamed so it sorts after the copy: the pair is now reported on it.
    moved = source.with_name("zz-" + source.name)
    source.rename(moved)
    same_as_full(root)
    found = run(root, True)
    assert copy_path not in _codes(found, "DUP001") and moved.relative_to(root).as_posix() in _codes(found, "DUP001")
    moved.unlink()  # deleted: no pair left
    files[5].unlink()
    same_as_full(root)
    assert not _codes(run(root, True), "DUP001") & {copy_path, moved.relative_to(root).as_posix()}
    assert calls and all(0 < count < 80 for count in calls)


def test_an_edit_that_flips_a_date_style_convention(digested) -> None:  # noqa: ANN001
    root, files, _calls = digested
    slashes, dashes = files[:3], files[3:5]
    for path in slashes:
        path.write_text(_set_field(path.read_text(encoding="utf-8"), "released", "2026/01/02"), encoding="utf-8")
    for path in dashes:
        path.write_text(_set_field(path.read_text(encoding="utf-8"), "released", "2026-01-02"), encoding="utf-8")
    same_as_full(root)
    assert _codes(run(root, True), "STR018") >= {p.relative_to(root).as_posix() for p in dashes}
    # Two more entries write the dashes: now the slashes are the odd ones out, though none of them changed.
    for path in files[5:7]:
        path.write_text(_set_field(path.read_text(encoding="utf-8"), "released", "2026-01-02"), encoding="utf-8")
    same_as_full(root)
    flagged = _codes(run(root, True), "STR018")
    assert flagged >= {p.relative_to(root).as_posix() for p in slashes}
    assert not flagged & {p.relative_to(root).as_posix() for p in dashes}


def test_links_to_a_heading_removed_and_to_a_file_added(digested) -> None:  # noqa: ANN001
    import os

    root, files, _calls = digested
    linking, linked = files[10], files[45]
    target = os.path.relpath(linked, linking.parent)
    linking.write_text(linking.read_text(encoding="utf-8")
                       + f"\nSee [its use cases]({target}#use-cases) and [the diagram](diagram.png).\n",
                       encoding="utf-8")
    same_as_full(root)
    linking_path = linking.relative_to(root).as_posix()
    found = run(root, True)
    assert linking_path not in _codes(found, "LNK003") and linking_path in _codes(found, "LNK004")

    # The linked entry loses the heading; a body edit elsewhere in it changes nothing for the link.
    text = linked.read_text(encoding="utf-8")
    linked.write_text(text + "\nOne more sentence.\n", encoding="utf-8")
    same_as_full(root)
    assert linking_path not in _codes(run(root, True), "LNK003")
    linked.write_text(text.replace("## Use cases\n", "## Uses\n"), encoding="utf-8")
    same_as_full(root)
    assert linking_path in _codes(run(root, True), "LNK003")

    # The file the other link points at is added: the link leads somewhere now.
    (linking.parent / "diagram.png").write_bytes(b"\x89PNG")
    same_as_full(root)
    assert linking_path not in _codes(run(root, True), "LNK004")


def test_an_edit_that_moves_a_score_but_no_feature(digested) -> None:  # noqa: ANN001
    """Short lines are no feature (under `line_min_chars`): the earlier entry's edit keeps every feature and the
    same holders, and the pair's score, reported on the later entry, moves all the same."""
    root, files, calls = digested
    earlier, later = files[20], files[40]
    earlier_text = earlier.read_text(encoding="utf-8")
    # The later one: the earlier one's body but for one line (not an equal body: paired on its rare lines).
    body = _body_of(earlier_text).replace("\n- ", "\n- A closing line written for the later entry alone, then ", 1)
    later.write_text(later.read_text(encoding="utf-8").split("\n---\n", 1)[0] + "\n---\n" + body,
                     encoding="utf-8")
    same_as_full(root)
    later_path = later.relative_to(root).as_posix()

    def score() -> str:
        return next(f["message"] for f in run(root, True) if f["path"] == later_path and f["code"] == "DUP003")

    before = score()
    earlier.write_text(earlier_text + "".join(f"\n- ok {n}\n" for n in range(12)), encoding="utf-8")
    same_as_full(root)
    assert score() != before
    assert calls and all(0 < count < 80 for count in calls)


def _shard_files(root: Path, folder: str) -> set[str]:
    return {path.name for path in (root / ".auditor" / folder).iterdir() if path.name != "index.bin"}


def _edit(path: Path, words: str = "One more sentence for the shards.") -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{words}\n", encoding="utf-8")


def test_an_edit_rewrites_only_the_shards_holding_what_changed(digested) -> None:  # noqa: ANN001
    """The digests and the entry cache are kept in 256 shards by path (auditor/sharded.py): an edited entry's
    digest rewrites its shard alone, and the entry cache the shards of the entries whose findings were redone."""
    from auditor.sharded import shard_of

    root, files, _calls = digested
    before = {folder: _shard_files(root, folder) for folder in ("digests", "entry-cache")}
    edited = [files[5], files[40]]
    for path in edited:
        _edit(path)
    report = same_as_full(root)
    assert report["entries_reused"] > 250
    shards = {f"{shard_of(path.relative_to(root).as_posix()):02x}" for path in edited}
    new_digests = _shard_files(root, "digests") - before["digests"]
    assert {name.split("-")[0] for name in new_digests} == shards
    assert len(_shard_files(root, "digests")) == len(before["digests"])  # the replaced files are gone
    new_results = _shard_files(root, "entry-cache") - before["entry-cache"]
    assert shards <= {name.split("-")[0] for name in new_results}
    assert len(new_results) < 20


@pytest.mark.parametrize("folder", ["digests", "entry-cache"])
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_shard_makes_the_whole_cache_ignored(digested, folder: str,  # noqa: ANN001
                                                                   damage: str) -> None:
    """A shard the index names that is gone or does not verify: the cache (digests or entry cache) is not read at
    all, never in part, and the findings are a full run's."""
    from auditor.checks.digests import DigestStore

    root, files, _calls = digested
    shard = sorted((root / ".auditor" / folder).glob("*-*.bin"))[7]
    if damage == "missing":
        shard.unlink()
    else:
        data = shard.read_bytes()
        shard.write_bytes(data[:-16] + bytes(b ^ 1 for b in data[-16:]))
    _edit(files[12])
    files[20].unlink()  # a deletion too
    if folder == "digests":
        assert not len(DigestStore.open(root, load_config(root)).table)
    report = same_as_full(root)
    assert report["results_reused"] == 0 if folder == "entry-cache" else report["results_reused"] > 0
    if folder == "digests":  # an audit keeps digests up to date, a check of every file makes them
        same_as_full(root, only={entry.path for entry in load_entries(root, load_config(root))})
    assert len(DigestStore.open(root, load_config(root)).table) == len(load_entries(root, load_config(root)))
    assert same_as_full(root)["entries_reused"] > 250


@pytest.mark.parametrize("folder", ["digests", "entry-cache"])
@pytest.mark.parametrize("writes", [1, 3, 1000])
def test_a_run_killed_between_shard_writes_leaves_the_caches_as_they_were(digested, monkeypatch,  # noqa: ANN001
                                                                         folder: str, writes: int) -> None:
    """A run killed after writing `writes` shard files of the digests or the entry cache (1000: every shard, not
    the index): the index on disk is the previous one and names files still there, so the next run finds what a
    full run finds, reusing."""
    from auditor import sharded

    root, files, _calls = digested
    for path in (files[3], files[13], files[23], files[43]):
        _edit(path)
    real_shard, real_index = sharded.write_signed_bytes, sharded.write_signed
    done: list[Path] = []

    def shard_write(path, *args):  # noqa: ANN001, ANN202
        if path.parent.name == folder:
            if len(done) >= writes:
                raise KeyboardInterrupt
            done.append(path)
        return real_shard(path, *args)

    def index_write(path, *args):  # noqa: ANN001, ANN202
        if path.parent.name == folder:
            raise KeyboardInterrupt
        return real_index(path, *args)

    monkeypatch.setattr(sharded, "write_signed_bytes", shard_write)
    monkeypatch.setattr(sharded, "write_signed", index_write)
    with pytest.raises(KeyboardInterrupt):
        run(root, True)
    monkeypatch.setattr(sharded, "write_signed_bytes", real_shard)
    monkeypatch.setattr(sharded, "write_signed", real_index)
    assert done and all(path.exists() for path in done)  # written, not named by the index
    report = same_as_full(root)
    assert report["entries_reused"] > 250
    assert not any(path.exists() for path in done)  # swept by the next write
    _edit(files[53])
    assert same_as_full(root)["entries_reused"] > 250
