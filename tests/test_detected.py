"""Format detection kept between runs (auditor/sources/detected.py): reused only while the folders and the files it
opened are as they were, and detected again as soon as either changed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.sources import detect as detect_module
from auditor.sources.detected import FILE_NAME, detected_formats
from auditor.sources.overlay import text_in_place_of

from .helpers import write_tree

NATIVE = "---\nid: {name}\nkind: tool\ntitle: {name}\n---\n# {name}\n\nA tool.\n"
FOREIGN = "---\ndescription: A page about {name}.\nname: {name}\n---\n# {name}\n\nA page.\n"


def _age(root: Path, seconds: float = 60) -> None:
    """Every file and folder under root modified `seconds` ago: older than the racy window."""
    past = time.time() - seconds
    for folder, _folders, files in os.walk(root):
        for name in files:
            os.utime(Path(folder) / name, (past, past))
        os.utime(folder, (past, past))


def _folder(tmp_path: Path, template: str = NATIVE) -> Path:
    root = tmp_path / "directory"
    write_tree(root, {f"tools/{name}.md": template.format(name=name) for name in ("alpha", "beta", "gamma")})
    (root / ".auditor").mkdir()
    _age(root)
    return root


@pytest.fixture(autouse=True)
def caches_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)  # these test the kept answer: on even in a --no-cache run


class Counting:
    """detect_with_evidence, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.real = detect_module.detect_with_evidence

    def __call__(self, root: Path, config: object) -> object:
        self.calls += 1
        return self.real(root, config)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counter = Counting()
    monkeypatch.setattr(detect_module, "detect_with_evidence", counter)
    return counter


def test_an_unchanged_folder_is_not_looked_through_twice(tmp_path: Path, counting: Counting) -> None:
    root = _folder(tmp_path)
    config = load_config(root)
    assert detected_formats(root, config) == []
    assert (root / ".auditor" / FILE_NAME).is_file()
    assert detected_formats(root, config) == []
    assert counting.calls == 1


def test_a_file_added_in_a_subfolder_means_looking_again(tmp_path: Path, counting: Counting) -> None:
    root = _folder(tmp_path)
    config = load_config(root)
    detected_formats(root, config)
    added = root / "tools" / "delta.md"
    added.write_text(NATIVE.format(name="delta"), encoding="utf-8")
    past = time.time() - 30  # old enough to be kept; the files detection opened are untouched
    os.utime(added, (past, past))
    os.utime(root / "tools", (past, past))
    assert detected_formats(root, config) == []
    assert counting.calls == 2
    detected_formats(root, config)
    assert counting.calls == 2


def test_front_matter_changed_in_place_changes_the_answer(tmp_path: Path, counting: Counting) -> None:
    root = _folder(tmp_path)
    config = load_config(root)
    assert detected_formats(root, config) == []
    folder_time = os.stat(root / "tools").st_mtime_ns
    for name in ("alpha", "beta", "gamma"):  # rewritten in place: the folder's time does not move
        path = root / "tools" / f"{name}.md"
        path.write_text(FOREIGN.format(name=name), encoding="utf-8")
        os.utime(path, (time.time() - 20, time.time() - 20))
    os.utime(root / "tools", ns=(folder_time, folder_time))
    assert detected_formats(root, config) == ["docs-pages"]
    assert counting.calls == 2


def test_nothing_is_kept_for_files_changed_within_the_racy_window(tmp_path: Path, counting: Counting) -> None:
    root = _folder(tmp_path)
    (root / "tools" / "alpha.md").write_text(NATIVE.format(name="alpha") + "\nJust now.\n", encoding="utf-8")
    config = load_config(root)
    detected_formats(root, config)
    detected_formats(root, config)
    assert counting.calls == 2
    assert not (root / ".auditor" / FILE_NAME).exists()


def test_no_cache_an_editors_text_and_a_foreign_file_all_mean_detecting(tmp_path: Path, counting: Counting,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = _folder(tmp_path)
    config = load_config(root)
    detected_formats(root, config)
    detected_formats(root, config, use_cache=False)
    assert counting.calls == 2
    with text_in_place_of(root / "tools" / "alpha.md", NATIVE.format(name="alpha").encode()):
        detected_formats(root, config)
    assert counting.calls == 3
    (root / ".auditor" / FILE_NAME).write_bytes(b"\0" * 64)  # not signed by this user's key: ignored
    assert detected_formats(root, config) == []
    assert counting.calls == 4
    monkeypatch.setenv("AUDITOR_NO_CACHE", "1")
    detected_formats(root, config)
    assert counting.calls == 5


def test_no_auditor_folder_keeps_nothing(tmp_path: Path, counting: Counting) -> None:
    root = _folder(tmp_path)
    (root / ".auditor").rmdir()
    config = load_config(root)
    assert detected_formats(root, config) == []
    assert not (root / ".auditor").exists()
