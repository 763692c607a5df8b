"""Duplicates (DUP): URL normalisation, blocking that finds near-duplicates without comparing all pairs,
and how the rules share one pass. The rules' pass/fail cases are data in tests/rules/cases/DUP00*.yml."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from auditor.checks.base import AuditContext
from auditor.checks.rules.duplicates._index import DuplicateIndex
from auditor.checks.similarity import RareFeatureBlocker, normalize_text, normalize_title, normalize_url, shingles
from auditor.config import load_config
from auditor.models import Entry
from auditor.pipeline import check_entries, load_entries
from tests.helpers import write_tree

AS_OF = dt.date(2026, 11, 28)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.GitHub.com/Org/Repo.git/?utm_source=x", "github.com/org/repo"),
    ("http://github.com/org/repo", "github.com/org/repo"),
    ("github.com/org/repo/", "github.com/org/repo"),
    ("https://Example.com:443/a//b/?b=2&a=1&utm_medium=x&fbclid=1#frag", "example.com/a/b?a=1&b=2"),
    ("https://example.com/Docs/", "example.com/Docs"),  # path case counts outside github.com and the like
    ("https://example.com:8080/x", "example.com:8080/x"),
    ("https://example.com/a%20b", "example.com/a b"),
    ("ftp://example.org/file", None),
    ("mailto:team@example.com", None),
    ("", None),
])
def test_normalize_url(url: str, expected: str | None) -> None:
    assert normalize_url(url) == expected


def test_normalize_text_and_title() -> None:
    assert normalize_text("  Last quarter's   CALLS, sorted!\n- done") == "last quarters calls sorted done"
    assert normalize_title("The VectorVault!", ["the"]) == "vectorvault"
    assert shingles(["a", "b", "c"], 2) == {("a", "b"), ("b", "c")}
    assert shingles(["a"], 2) == {("a",)}


def test_blocker_pairs_documents_sharing_rare_features_only() -> None:
    blocker = RareFeatureBlocker(max_df=3, min_shared=2)
    common = ["## Use cases", "## Key features"]  # in every document: boilerplate
    blocker.add([*common, "alpha one", "alpha two", "alpha three"])  # 0
    blocker.add([*common, "alpha one", "alpha two", "alpha changed"])  # 1: near-duplicate of 0
    blocker.add([*common, "beta one", "alpha three"])  # 2: shares one rare line with 0, not enough
    blocker.add([*common, "gamma"])  # 3
    blocker.add(["solo line"])  # 4: one feature in all, shared with nobody
    blocker.add(["solo line"])  # 5: a document with one feature needs only that one
    assert blocker.pairs() == {(0, 1), (4, 5)}


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "pe", "da", "zo", "li", "gu", "fe", "bo"]
    found: set[str] = set()
    while len(found) < size:
        found.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(found)


def _generated_entries(n: int, planted: int, seed: int = 7) -> tuple[list[Entry], set[tuple[str, str]]]:
    """n tool entries of Zipf-distributed words; `planted` of them copy an earlier one with two words changed
    in the summary and three in the body. Returns the entries and the (earlier id, later id) planted pairs."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 3000)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]

    def sentence(length: int) -> list[str]:
        return rng.choices(vocab, weights, k=length)

    def edit(tokens: list[str], changes: int) -> list[str]:
        tokens = list(tokens)
        for position in rng.sample(range(len(tokens)), changes):
            tokens[position] = rng.choice(vocab)
        return tokens

    entries: list[Entry] = []
    pairs: set[tuple[str, str]] = set()
    for number in range(n):
        entry_id = f"e{number:05d}"
        summary = sentence(24)
        body = [["##", "Use", "cases"], *[["-", *sentence(10)] for _ in range(12)]]
        if number >= n - planted:
            original = entries[rng.randrange(0, n - planted)]
            pairs.add((original.id, entry_id))
            summary = edit(original.summary.split(), 2)
            lines = [line.split() for line in original.body_lines]
            for index in rng.sample(range(1, len(lines)), 3):
                lines[index] = edit(lines[index], 1)
            body = lines
        entries.append(Entry(id=entry_id, path=f"tools/{entry_id}.md", kind="tool", title=f"Tool {entry_id}",
                             summary=" ".join(summary), body_lines=[" ".join(line) for line in body]))
    return entries, pairs


def _index(tmp_path: Path, entries: list[Entry]) -> DuplicateIndex:
    ctx = AuditContext.build(entries, load_config(tmp_path), AS_OF)
    return DuplicateIndex.of(ctx)


def test_blocking_finds_near_duplicates_and_stays_far_below_all_pairs(tmp_path: Path) -> None:
    entries, planted = _generated_entries(2000, planted=20)
    index = _index(tmp_path, entries)
    all_pairs = len(entries) * (len(entries) - 1) // 2
    for part in ("summary", "body"):
        found = {(match.other.id, index.entries[later].id)
                 for later, matches in index.part(part).items() for match in matches}
        candidates = {(index.entries[a].id, index.entries[b].id) for a, b in index.candidates[part]}
        assert planted <= candidates, part  # blocking keeps every planted pair
        assert len(candidates) < all_pairs / 1000, (part, len(candidates))  # 2,000 entries: under 2,000 of 2M
        assert found <= planted, part  # nothing between unrelated entries is reported
        assert len(found) >= len(planted) - 2, part  # an edit can push a short summary below 90%


def test_blocking_is_deterministic(tmp_path: Path) -> None:
    entries, _ = _generated_entries(600, planted=6, seed=3)
    first, second = _index(tmp_path, entries), _index(tmp_path, list(reversed(entries)))
    for part in ("summary", "body"):
        first.part(part)
        second.part(part)
    assert first.stats == second.stats


def _entry(kind: str, title: str, summary: str, body: str, links: str = "") -> str:
    return f"---\nkind: {kind}\ntitle: {title}\nsummary: {summary}\n{links}---\n{body}"


BODY = "\n".join(f"- Line {n} about transcribing meetings, support calls and subtitles for teams" for n in range(8))
SUMMARY = "A speech-to-text service that turns recorded meetings and support calls into searchable transcripts."


def test_an_exact_duplicate_gets_only_dup001(tmp_path: Path) -> None:
    links = "links: {homepage: https://example.com/scribe}\n"
    write_tree(tmp_path, {
        "tools/scribe.md": _entry("tool", "Scribe", SUMMARY, BODY, links),
        "tools/scribe-copy.md": _entry("tool", "Scribe", SUMMARY, BODY, links),
    })
    config = load_config(tmp_path)
    findings = [f for f in check_entries(load_entries(tmp_path, config), config, AS_OF) if f.family == "DUP"]
    assert [(f.path, f.code, f.key) for f in findings] == [("tools/scribe-copy.md", "DUP001", "scribe")]


def test_a_near_duplicate_pair_gets_one_finding_per_signal_on_the_later_entry(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "tools/scribe.md": _entry("tool", "Scribe", SUMMARY, BODY, "links: {repo: https://github.com/acme/scribe}\n"),
        "tools/scribe-pro.md": _entry("tool", "Scribe", SUMMARY.replace("recorded", "live"), BODY + "\n- One more",
                                      "links: {repo: https://github.com/Acme/scribe.git}\n"),
        # Another kind: the same summary, title and repository are not duplicates across kinds.
        "mcp/scribe-mcp.md": _entry("mcp", "Scribe", SUMMARY, "## Installation\nRun `npx scribe-mcp`.",
                                    "links: {repo: https://github.com/acme/scribe}\n"),
    })
    config = load_config(tmp_path)
    findings = [f for f in check_entries(load_entries(tmp_path, config), config, AS_OF) if f.family == "DUP"]
    assert sorted((f.path, f.code, f.key) for f in findings) == [
        ("tools/scribe-pro.md", code, "scribe") for code in ("DUP002", "DUP003", "DUP004", "DUP005")]
    # Checking only the later file still finds them (the other entry is read, not judged).
    entries = load_entries(tmp_path, config)
    only = check_entries(entries, config, AS_OF, only={"tools/scribe-pro.md"})
    assert {f.code for f in only if f.family == "DUP"} == {"DUP002", "DUP003", "DUP004", "DUP005"}
    # Checking only the earlier one finds nothing: the pair is reported on one side.
    assert not [f for f in check_entries(entries, config, AS_OF, only={"tools/scribe.md"}) if f.family == "DUP"]
