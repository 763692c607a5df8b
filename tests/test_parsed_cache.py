"""The parsed-entry cache (auditor/sources/parsed_cache.py): unchanged files give the entries an earlier run parsed,
and anything that changed, looks changed or cannot be trusted is read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.models import Entry
from auditor.sources.base import FolderSource
from auditor.sources.parsed_cache import FOLDER
from auditor.sources.safe_files import OVERLAID
from tests.helpers import skill, write_tree

OLD = time.time() - 3600  # files last changed an hour ago: outside the window where an edit could go unseen


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # the cache's secret key lives there
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)  # these test the cache: on even in a --no-cache suite run


def directory(root: Path, count: int = 6) -> Path:
    write_tree(root, {"auditor.toml": 'name = "parsed"\n',
                      **{f"skills/s{n}.md": skill(f"s{n}", [f"s{(n + 1) % count}"]) for n in range(count)}})
    (root / ".auditor").mkdir()
    age(root)
    return root


def age(root: Path, when: float = OLD) -> None:
    for path in root.rglob("*.md"):
        os.utime(path, (when, when))


def load(root: Path, use_cache: bool = True) -> tuple[list[Entry], int]:
    source = FolderSource(root, use_cache=use_cache)
    entries = source.load(load_config(root))
    return entries, source.cache_hits


def test_a_second_run_takes_every_unchanged_entry_from_the_cache_as_it_was_parsed(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    first, hits = load(root)
    assert hits == 0 and len(list((root / ".auditor" / FOLDER).glob("*.bin"))) > 0
    again, hits = load(root)
    assert hits == len(first) == 6
    assert again == first  # every field: front matter, body, sections, problems
    plain, hits = load(root, use_cache=False)
    assert hits == 0 and plain == first


def test_an_edited_file_is_read_again_and_a_deleted_one_forgotten(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    load(root)
    edited = root / "skills" / "s2.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("## Use cases", "## Uses"), encoding="utf-8")
    os.utime(edited, (OLD + 60, OLD + 60))  # another time, as any edit gives
    (root / "skills" / "s5.md").unlink()
    entries, hits = load(root)
    assert hits == 4
    assert [s.title for s in next(e for e in entries if e.id == "s2").sections if s.level == 2][0] == "Uses"
    assert "s5" not in {e.id for e in entries}
    _, hits = load(root)
    assert hits == 5  # the edit is kept now; nothing of the deleted file is left to take


def test_a_file_changed_within_the_racy_window_is_not_kept(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    age(root, time.time())  # just written: a second edit in the same clock tick would keep size and time
    load(root)
    _, hits = load(root)
    assert hits == 0


def test_a_shard_written_by_anyone_else_is_ignored_not_unpickled(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    first, _ = load(root)
    for shard in (root / ".auditor" / FOLDER).glob("*.bin"):
        data = bytearray(shard.read_bytes())
        data[-5] ^= 0xFF  # one byte of the pickled entries changed: the signature no longer matches
        shard.write_bytes(bytes(data))
    entries, hits = load(root)
    assert hits == 0 and entries == first


def test_one_tampered_shard_costs_only_its_own_entries(tmp_path: Path) -> None:
    root = directory(tmp_path / "d", count=40)
    first, _ = load(root)
    shards = sorted((root / ".auditor" / FOLDER).glob("*.bin"))
    assert len(shards) > 2  # 40 files spread over several shards
    data = bytearray(shards[0].read_bytes())
    data[-5] ^= 0xFF
    shards[0].write_bytes(bytes(data))
    entries, hits = load(root)
    # Every shard is read at once now (parsed_cache.read_all): the others still give their entries.
    assert 0 < hits < len(first) and entries == first
    _, hits = load(root)
    assert hits == len(first)  # the tampered shard was written again from what was read


def test_another_users_key_does_not_read_this_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = directory(tmp_path / "d")
    load(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    _, hits = load(root)
    assert hits == 0


def test_text_given_on_stdin_stands_for_the_file_not_the_cached_entry(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    load(root)
    path = root / "skills" / "s1.md"
    OVERLAID[os.path.realpath(path)] = path.read_bytes().replace(b"## Use cases", b"## Overlaid")
    try:
        entries, hits = load(root)
    finally:
        OVERLAID.clear()
    assert hits == 5
    assert any(s.title == "Overlaid" for s in next(e for e in entries if e.id == "s1").sections)


def test_duplicate_ids_are_marked_the_same_from_the_cache(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    write_tree(root, {"skills/copy.md": skill("s1", [], extra_front="id: s1\n")})
    age(root)
    first, _ = load(root)
    again, hits = load(root)
    assert hits == 7 and again == first
    assert sum(1 for e in again if e.id == "s1") == 1 and any(e.id.startswith("s1@") for e in again)


def test_a_directory_without_the_auditors_folder_gets_nothing_written(tmp_path: Path) -> None:
    root = directory(tmp_path / "d")
    (root / ".auditor").rmdir()
    load(root)
    assert not (root / ".auditor").exists()


def test_auditor_no_cache_turns_every_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = directory(tmp_path / "d")
    monkeypatch.setenv("AUDITOR_NO_CACHE", "1")
    load(root)
    _, hits = load(root)
    assert hits == 0 and not (root / ".auditor" / FOLDER).exists()
    monkeypatch.setenv("AUDITOR_NO_CACHE", "0")
    load(root)
    _, hits = load(root)
    assert hits == 6


def test_every_example_entry_comes_back_from_a_shard_as_it_was_parsed() -> None:
    """The shards hold entries as tuples of plain values (parsed_codec.py): every field, the sections over the
    entry's own body lines, problems and references come back equal, in marshal's format."""
    import datetime as dt

    from auditor.models import LoadProblem, Reference
    from auditor.sources.parsed_codec import MARSHAL, decode_shard, encode_shard

    root = Path(__file__).resolve().parent.parent / "examples" / "directory"
    entries, _ = load(root, use_cache=False)
    assert len(entries) > 20
    odd = entries[0]
    odd.refs.append(Reference("link", "../x.md", 4, resolved="x.md", field="body"))
    odd.problems.append(LoadProblem("bad-date", "not a date", 3, field="updated", evidence="soon"))
    odd.last_changed, odd.lines, odd.ignore = dt.date(2026, 1, 2), (3, 9), {"STR001"}
    shard = {e.path: (len(e.path), n, e) for n, e in enumerate(entries)}
    payload = encode_shard(shard)
    assert payload[:1] == MARSHAL
    back = decode_shard(memoryview(payload))
    assert all(entry.packed_body is not None for _, _, entry in back.values())  # bodies unpacked when read
    rewritten = decode_shard(memoryview(encode_shard(back)))
    assert all(rewritten[path][2].packed_body == entry.packed_body  # a body never unpacked is written as read
               for path, (_, _, entry) in back.items())
    assert back == shard
    for _, _, entry in back.values():
        assert entry.packed_body is None
        assert all(section.lines is entry.body_lines for section in entry.sections)


def test_a_packed_body_tells_what_its_lines_hold_without_unpacking(tmp_path: Path) -> None:
    from auditor.sources.parsed_codec import decode_shard, encode_shard

    body = "## Use cases\n\n<!-- auditor-disable-next-line PRO001 -->\nCafé à la carte, ünïcode.\n"
    root = tmp_path / "d"
    write_tree(root, {"skills/s.md": skill("s", body=body)})
    (entry,), _ = load(root, use_cache=False)
    back = decode_shard(memoryview(encode_shard({entry.path: (1, 2, entry)})))[entry.path][2]
    assert not back.body_mentions("auditor-enable") and back.packed_body is not None  # told from the bytes
    assert back.body_mentions("à la carte") and back.packed_body is None  # found: unpacked, then looked at
    assert back == entry and back.body_lines[-1] == "Café à la carte, ünïcode."
    back.body_lines.append("more")  # an unpacked body is written from its lines again
    again = decode_shard(memoryview(encode_shard({entry.path: (1, 2, back)})))[entry.path][2]
    assert again.body_lines[-1] == "more" and again.sections[-1].lines is again.body_lines


def test_a_shard_marshal_cannot_write_is_pickled_and_read_back_the_same(tmp_path: Path) -> None:
    """A front-matter value of a type of its own (a date here) cannot be marshalled: that shard is pickled."""
    import datetime as dt

    from auditor.sources.parsed_codec import PICKLE, decode_shard, encode_shard

    entries, _ = load(directory(tmp_path / "d"))
    entries[0].meta["updated"] = dt.date(2026, 5, 1)
    shard = {e.path: (1, 2, e) for e in entries}
    payload = encode_shard(shard)
    assert payload[:1] == PICKLE and decode_shard(memoryview(payload)) == shard
    assert decode_shard(memoryview(b"X" + payload[1:])) is None  # neither format: nothing


def test_a_file_swapped_for_a_link_of_the_same_size_and_time_is_not_taken_from_the_cache(tmp_path: Path) -> None:
    """The files' status comes from the folder's walk: a link is not a plain file, whatever its target's stamp."""
    import shutil

    root = directory(tmp_path / "d")
    first, _ = load(root)
    target = root / "skills" / "s1.md"
    outside = shutil.copy2(target, tmp_path / "outside.md")  # the same size and modification time
    target.unlink()
    target.symlink_to(outside)
    entries, hits = load(root)
    assert hits == 5
    assert next(e for e in entries if e.path == "skills/s1.md") != next(e for e in first if e.path == "skills/s1.md")
