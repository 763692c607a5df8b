"""`check` of a few files against the digests of the others (auditor/checks/digests.py, pipeline.check_few): the
findings are those of a check with every entry read, on the example directory and on a generated one after
edits, copies, renames and deletions; and the whole directory is read whenever the digests cannot be trusted."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from auditor.checks.digests import FILE_NAME, DigestStore
from auditor.config import load_config
from auditor.models import Finding
from auditor.pipeline import CHECK_FEW_MAX, check_entries, check_few, load_entries
from auditor.sources.base import FolderSource
from tests.helpers import AS_OF

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT / "examples" / "directory"
DATE = dt.date.fromisoformat(AS_OF)


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # the digests' secret key lives there
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)  # these test the digests: on even in a --no-cache run


def generate(count: int, root: Path, seed: int) -> None:
    spec = importlib.util.spec_from_file_location("bench_generate", PROJECT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    module.generate(count, root, seed=seed)


def age(root: Path) -> None:
    """Files written a while ago: a file changed within the last seconds is never digested (racily clean)."""
    past = time.time() - 3600
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (past, past))


def audited(root: Path, checked: bool = True) -> None:
    """A full read and check of every entry: `check` of the whole folder (`checked`) makes the digests, an audit
    brings those made up to date."""
    config = load_config(root)
    entries = load_entries(root, config, use_cache=True)
    only = {entry.path for entry in entries} if checked else None
    check_entries(entries, config, DATE, only=only, root=root, use_cache=True)
    if checked:
        assert (root / ".auditor" / FILE_NAME).is_file()


def finding_record(finding: Finding) -> dict:
    """Every field of a finding (fingerprint, edit, dates included)."""
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


def full(root: Path, rels: list[str]) -> list[dict]:
    config = load_config(root)
    entries = load_entries(root, config, use_cache=False)
    return [finding_record(f) for f in check_entries(entries, config, DATE, only=set(rels), root=root)]


def few(root: Path, rels: list[str]) -> list[dict] | None:
    done = check_few(FolderSource(root), load_config(root), DATE, rels)
    return None if done is None else [finding_record(f) for f in done[1]]


def rels_of(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md") if ".auditor" not in p.parts
                  and p.name not in ("README.md", "PLANTED.md"))


def test_every_example_entry_checked_alone_finds_what_a_full_check_finds(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    age(root)
    assert few(root, rels_of(root)[:1]) is None  # nothing kept yet: read everything
    (root / ".auditor").mkdir()
    audited(root)
    found = 0
    for rel in rels_of(root):
        alone = few(root, [rel])
        assert alone is not None, rel
        assert alone == full(root, [rel]), rel
        found += len(alone)
    assert found > 20  # the examples hold problems of every family


@pytest.mark.parametrize("declared", [True, False], ids=["auditor.toml", "inferred"])
def test_a_generated_directory_after_edits_copies_renames_and_deletions(tmp_path: Path, declared: bool) -> None:
    root = tmp_path / "directory"
    generate(400, root, seed=7)
    if not declared:  # the kinds' requirements are inferred from every entry's shape (digests for the rest)
        (root / "auditor.toml").unlink()
    manifest = json.loads((root / "bench-manifest.json").read_text(encoding="utf-8"))
    age(root)
    (root / ".auditor").mkdir()
    audited(root)
    files = rels_of(root)
    planted = sorted({p["path"] for p in manifest["planted"]})
    codes = set()
    for rel in planted[:40] + files[::37]:
        alone = few(root, [rel])
        assert alone == full(root, [rel]), rel
        codes.update(f["code"] for f in alone)
    assert {"DUP001", "DUP002", "DUP003", "DUP005", "XRF001", "STR005"} <= codes

    # Edits the check is asked about, and edits it is not asked about (read and digested afresh).
    first, second = root / files[3], root / files[10]
    first.write_text(first.read_text(encoding="utf-8").replace("related: [", "related: [no-such-id, ", 1),
                     encoding="utf-8")
    (root / files[30]).write_text((root / files[31]).read_text(encoding="utf-8"), encoding="utf-8")  # a copy
    second.write_text(second.read_text(encoding="utf-8") + "\nTODO: fill in.\n", encoding="utf-8")
    copy = root / "tools" / "000" / "zz-copy-of-first.md"
    copy.write_text((root / files[5]).read_text(encoding="utf-8").replace("\nid:", "\nold_id:", 1), encoding="utf-8")
    (root / files[50]).rename(root / files[50].replace(".md", "-moved.md"))
    for rel in files[60:64]:
        (root / rel).unlink()
    asked = [files[3], files[30], copy.relative_to(root).as_posix(), files[5]]
    alone = few(root, asked)
    assert alone is not None and alone == full(root, asked)
    assert {"DUP001", "XRF001"} <= {f["code"] for f in alone}
    for rel in asked + files[100:400:41]:
        assert few(root, [rel]) == full(root, [rel]), rel

    # The next full read keeps the new digests beside the unchanged ones (rows taken back out of the table).
    age(root)
    audited(root)
    for rel in [*asked, *planted[40:60]]:
        if (root / rel).is_file():
            assert few(root, [rel]) == full(root, [rel]), rel


def test_untrusted_or_stale_digests_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "directory"
    generate(CHECK_FEW_MAX + 30, root, seed=2)
    age(root)
    (root / ".auditor").mkdir()
    audited(root)
    files = rels_of(root)
    assert few(root, files[:1]) is not None
    monkeypatch.setenv("AUDITOR_NO_CACHE", "1")
    assert few(root, files[:1]) is None
    monkeypatch.delenv("AUDITOR_NO_CACHE")
    kept = root / ".auditor" / FILE_NAME
    data = bytearray(kept.read_bytes())
    data[-5] ^= 1  # written by anyone else (or damaged): its keyed hash no longer matches
    kept.write_bytes(bytes(data))
    assert few(root, files[:1]) is None
    audited(root)
    # More files changed than a few: the whole directory is read.
    for rel in files[: CHECK_FEW_MAX + 1]:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert few(root, files[:1]) is None
    # Rules turned on or off leave the digests as they are; how files are read (or the rule packs) is another key.
    age(root)
    audited(root)
    assert few(root, files[:1]) is not None
    toml = root / "auditor.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[rules]\ndisable = [\"PRS001\"]\n", encoding="utf-8")
    assert few(root, files[:1]) == full(root, files[:1])
    read_otherwise = "[settings]\nmax_entry_bytes = 900000\n\n[rules]"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[rules]", read_otherwise), encoding="utf-8")
    assert few(root, files[:1]) is None


def examples_digested(tmp_path: Path) -> Path:
    """A copy of the example directory whose digests a check of every entry has made."""
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    age(root)
    (root / ".auditor").mkdir()
    audited(root)
    return root


def check_command(root: Path, *args: str, text: str | None = None) -> tuple[dict, dict]:
    """`check ... --format json` as the command prints it with the digests, and with --no-cache."""
    command = [sys.executable, "-m", "auditor", "check", *args, "--as-of", AS_OF, "--offline", "--format", "json",
               "--fail-on", "none"]
    said = [json.loads(subprocess.run(command + extra, cwd=root, input=text, capture_output=True, text=True,
                                      check=True).stdout) for extra in ([], ["--no-cache"])]
    return said[0], said[1]


def test_the_command_reads_one_file_and_says_the_same_as_without_digests(tmp_path: Path) -> None:
    root = examples_digested(tmp_path)
    rel = rels_of(root)[0]
    said, full_said = check_command(root, rel)
    assert said["summary"].pop("digests") == {"entries": len(rels_of(root)) - 1, "files_read": 1}
    assert said == full_said
    assert said["summary"]["read"]["formats"][0]["files"] == len(rels_of(root))
    text = subprocess.run([sys.executable, "-m", "auditor", "check", "--as-of", AS_OF, "--offline", "--fail-on",
                           "none", rel], cwd=root, capture_output=True, text=True, check=True)
    assert f"Digests: {len(rels_of(root)) - 1} entries judged by their digests" in text.stderr


def test_an_editors_unsaved_text_is_judged_against_the_digests(tmp_path: Path) -> None:
    root = examples_digested(tmp_path)
    rel = rels_of(root)[0]
    text = (root / rel).read_text(encoding="utf-8").replace("related: [", "related: [no-such-entry, ", 1)
    assert "no-such-entry" in text
    said, full_said = check_command(root, "--stdin", "--stdin-filename", rel, text=text)
    assert said["summary"].pop("digests")["files_read"] == 1
    assert said == full_said
    assert any(f["code"] == "XRF001" and "no-such-entry" in f["message"] for f in said["findings"])


def test_an_audit_brings_digests_up_to_date_but_does_not_make_them(tmp_path: Path) -> None:
    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    age(root)
    (root / ".auditor").mkdir()
    audited(root, checked=False)
    assert not (root / ".auditor" / FILE_NAME).exists()  # a first audit is not slowed by digesting every entry
    audited(root)
    rel = rels_of(root)[0]
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8").replace("related: [", "related: [no-such-entry, ", 1),
                    encoding="utf-8")
    age(root)
    audited(root, checked=False)
    table = DigestStore.open(root, load_config(root)).table
    assert "no-such-entry" in table.row(table.row_of[rel]).related


def test_addresses_are_found_row_by_row_when_one_holds_the_row_separator(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The digests' addresses are searched in one joined text; were an address to hold the character that parts
    the rows there, each row's addresses are read instead, with the same findings."""
    from auditor.checks.rules.duplicates import _query

    root = examples_digested(tmp_path)
    monkeypatch.setattr(_query, "ROW", "/")  # every address holds it: the row-by-row way
    for rel in rels_of(root):
        assert few(root, [rel]) == full(root, [rel]), rel


def test_tables_joined_are_the_table_built_whole(tmp_path: Path) -> None:
    """DigestTable.joined (the shards read back) gives the table DigestTable.of makes of all their rows in turn."""
    from auditor.checks.digests import DigestMaker, DigestTable

    root = tmp_path / "directory"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    config = load_config(root)
    entries = load_entries(root, config, use_cache=False)
    maker = DigestMaker(config)
    rows = [(number, number * 10, maker.of(entry)) for number, entry in enumerate(entries)]
    assert len({row[2].duplicates.group for row in rows if row[2].duplicates}) > 1  # blobs of several groups
    cuts = [0, 1, len(rows) // 3, len(rows) // 3, len(rows) - 2, len(rows)]  # an empty part among them
    joined = DigestTable.joined(DigestTable.of(rows[start:end]).kept() for start, end in pairwise(cuts))
    whole = DigestTable.of(rows)
    assert joined.columns == whole.columns
    assert (joined.sizes, joined.mtimes) == (whole.sizes, whole.mtimes)
    assert [joined.row(number) for number in range(len(rows))] == [row[2] for row in rows]


@pytest.mark.parametrize("asked", [5, 200])  # a search for each value, and one pass over all of them
@pytest.mark.parametrize("limit", [None, 1, 6, 97])
def test_positions_of_packed_values_are_the_first_of_each_in_order(asked: int, limit: int | None) -> None:
    """`_positions` finds where asked 64-bit values stand in a packed column: all of them, or each one's first
    `limit`, whether a value is rare or fills most of the column (common values are dropped part by part)."""
    import random
    from array import array

    from auditor.checks.rules.duplicates._query import _positions

    rng = random.Random(asked * 1000 + (limit or 0))
    common = [rng.getrandbits(64) for _ in range(3)]
    rare = [rng.getrandbits(64) for _ in range(400)]
    values = [rng.choice(common) if rng.random() < 0.6 else rng.choice(rare) for _ in range(30_000)]
    values[5] = (1 << 64) - 1  # bytes of one value that straddle two others are no value
    data = array("Q", values).tobytes()
    wanted = set(common[:2]) | set(rare[:asked - 2])
    expected, seen = [], {}
    for position, value in enumerate(values):
        if value in wanted and (limit is None or seen.get(value, 0) < limit):
            seen[value] = seen.get(value, 0) + 1
            expected.append((position, value))
    assert values.count(common[0]) > 1000  # the case this is about: a value held far more often than the limit
    assert _positions(data, wanted, limit) == expected


def test_rows_left_out_of_a_feature_blob_are_not_found() -> None:
    """`_without` overwrites the values of the rows left out with one nobody asked for: a search skips them."""
    from array import array

    from auditor.checks.digests import FeatureBlob
    from auditor.checks.rules.duplicates._query import _positions, _without

    rows_values = {3: [7, 8, 9], 5: [7, 10], 8: [0, 7], 9: [11]}  # row number -> its values (0 asked too)
    data = array("Q", [value for values in rows_values.values() for value in values]).tobytes()
    starts = array("l", [0])
    for values in rows_values.values():
        starts.append(starts[-1] + len(values))
    blob = FeatureBlob(data, starts, array("l", rows_values))
    asked = {0, 1, 7, 9, 10}
    masked = _without(blob, {5, 8, 42}, asked)  # 42: a row of another group
    assert len(masked) == len(data)
    assert _positions(masked, asked) == [(0, 7), (2, 9)]
    assert _without(blob, {4}, asked) is data  # nothing to leave out: the blob as it is
