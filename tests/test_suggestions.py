"""A "did you mean" fix is right or absent: close-enough names only, and in a git checkout the history decides."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

from auditor.config import load_config
from auditor.pipeline import check_entries, load_entries
from auditor.suggestions import close_enough
from tests.helpers import AS_OF, write_tree


def skill_file(name: str, body: str = "") -> str:
    front = f"---\nname: {name}\ndescription: Automate {name} tasks through its API from the agent.\n---\n"
    return f"{front}# {name}\n{body}"


def audit(root: Path, code: str) -> list:
    config = load_config(root)
    entries = load_entries(root, config)
    return [f for f in check_entries(entries, config, dt.date.fromisoformat(AS_OF), root=root) if f.code == code]


def git(root: Path, *args: str, date: str = "2026-03-01T10:00:00+00:00") -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def test_thresholds_accept_typos_and_refuse_neighbours() -> None:
    assert close_enough("systematic-debuging", "systematic-debugging")
    assert close_enough("skills/react19-test-pattern", "skills/react19-test-patterns")
    assert not close_enough("hubspot-automation", "spotify-automation")  # 83% alike, six edits apart
    assert not close_enough("scripts/01-request-review.ps1", "references/01-request-review.md")
    assert not close_enough("extensions/daily-focus-board", "skills/daily-focus-board")
    assert not close_enough("guide-v1", "guide-v2")  # another version, not a typo


def test_an_unrelated_neighbour_is_not_suggested(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "skills/spotify-automation/SKILL.md": skill_file("spotify-automation"),
        "skills/slack-automation/SKILL.md": skill_file("slack-automation"),
        "skills/crm-sync/SKILL.md": skill_file(
            "crm-sync", "See [HubSpot](../hubspot-automation/SKILL.md) and [Slak](../slak-automation/).\n"),
    })
    findings = {f.evidence.split(": ", 1)[1]: f for f in audit(tmp_path, "XRF005")}
    assert "spotify" not in findings["../hubspot-automation/SKILL.md"].fix
    assert "Did you mean" not in findings["../hubspot-automation/SKILL.md"].fix
    assert findings["../slak-automation/"].fix.startswith("Did you mean `../slack-automation/`?")


def test_git_history_names_the_new_path_of_a_moved_target_and_the_commit_that_deleted_another(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "skills/hubspot-automation/SKILL.md": skill_file("hubspot-automation"),
        "skills/zoho-crm/SKILL.md": skill_file("zoho-crm"),
        "skills/spotify-automation/SKILL.md": skill_file("spotify-automation"),
        "skills/index-user/SKILL.md": skill_file(
            "index-user", "Use [HubSpot](../hubspot-automation/SKILL.md) and [Zoho](../zoho-crm/).\n"),
    })
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "Add skills", date="2026-01-05T09:00:00+00:00")
    git(tmp_path, "mv", "skills/zoho-crm", "skills/zoho-crm-automation")
    git(tmp_path, "commit", "-q", "-m", "Rename zoho-crm", date="2026-02-10T09:00:00+00:00")
    git(tmp_path, "rm", "-q", "-r", "skills/hubspot-automation")
    git(tmp_path, "commit", "-q", "-m", "Remove the HubSpot skill", date="2026-03-15T09:00:00+00:00")
    deleted = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "--short=7", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()

    findings = {f.evidence.split(": ", 1)[1]: f for f in audit(tmp_path, "XRF005")}
    gone = findings["../hubspot-automation/SKILL.md"].fix
    assert f"deleted in commit {deleted} (2026-03-15, \"Remove the HubSpot skill\")" in gone
    assert gone.endswith("remove the link.") and "spotify" not in gone
    renamed = findings["../zoho-crm/"].fix
    assert "renamed to `skills/zoho-crm-automation`" in renamed and "(2026-02-10" in renamed
    assert renamed.endswith("replace `../zoho-crm/` with `../zoho-crm-automation/`.")


def test_git_history_decides_for_related_ids(tmp_path: Path) -> None:
    entry = "---\nkind: skill\ntitle: {title}\nrelated: [{related}]\n---\nText.\n"
    write_tree(tmp_path, {
        "skills/incident-response.md": entry.format(title="Incident response", related="postmortems, runbook"),
        "skills/postmortems.md": entry.format(title="Postmortems", related=""),
        "skills/runbook.md": entry.format(title="Runbook", related=""),
        "skills/runbooks-index.md": entry.format(title="Runbooks index", related=""),
    })
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "Start", date="2026-01-05T09:00:00+00:00")
    git(tmp_path, "mv", "skills/postmortems.md", "skills/postmortem-writing.md")
    git(tmp_path, "rm", "-q", "skills/runbook.md")
    git(tmp_path, "commit", "-q", "-m", "Tidy skills", date="2026-02-10T09:00:00+00:00")
    fixes = {f.key: f.fix for f in audit(tmp_path, "XRF001")}
    assert "renamed to `skills/postmortem-writing.md`" in fixes["postmortems"]
    assert fixes["postmortems"].endswith("replace `postmortems` with `postmortem-writing` in `related`.")
    assert "deleted in commit" in fixes["runbook"] and "remove `runbook` from `related`" in fixes["runbook"]


def test_the_id_index_suggests_what_scoring_every_id_suggests() -> None:
    """closest_id answers from trigram postings (auditor/checks/id_index.py); scoring every id of a reachable
    length, as it once did, must give the same id or none, for typos, case changes, slashes and every setting."""
    import random

    from auditor.checks.id_index import IdIndex

    rng = random.Random(7)
    words = ["gpt", "mini", "agent", "server", "mcp", "slack", "automation", "debug", "test", "Crm", "2", "4o", "v1"]
    ids = list(dict.fromkeys("-".join(rng.choice(words) for _ in range(rng.randint(1, 4))) for _ in range(1500)))
    ids += ["skills/react19-test-patterns", "x/./y", "Gpt-Mini"]
    class Counted(IdIndex):  # notes each answer the full scan gave
        scans = 0

        def scan(self, *args: object) -> str | None:
            Counted.scans += 1
            return super().scan(*args)

    index = Counted(ids)
    assert index.postings  # built: without them every answer is the full scan

    def typo(name: str) -> str:
        chars = list(name)
        for _ in range(rng.randint(0, 3)):
            at = rng.randint(0, max(len(chars) - 1, 0))
            choice = rng.randint(0, 2)
            if choice == 0:
                chars.insert(at, rng.choice("ab-2eO"))
            elif chars and choice == 1:
                chars.pop(at)
            elif chars:
                chars[at] = rng.choice("abe-3")
        return "".join(chars)

    suggested = 0
    for _ in range(1500):
        wanted, besides = typo(rng.choice(ids)), rng.choice(ids)
        settings = rng.choice([None, {"max_edits": 1}, {"max_edits": 3, "min_similarity": 70}])
        expected = IdIndex.scan(index, wanted, besides, 70, settings)
        assert index.closest(wanted, besides, 70, settings) == expected, (wanted, besides, settings)
        suggested += expected is not None
    assert 300 < suggested < 1400  # both answers occur
    assert Counted.scans < 500  # most answers came from the postings (short ids and max_edits 3 may not)
    assert index.same_lengths  # so the first pass looked at ids of a length within max_edits only
    # A capital whose lower case is longer (the dotted I): lengths of the lowered ids are no guide then.
    dotted = IdIndex([*ids, "İnstall-agent-debug"])
    assert not dotted.same_lengths
    for wanted in ("install-agent-debug", "İnstall-agent-debg", "Install-agent-debug"):
        assert dotted.closest(wanted, "", 70, None) == dotted.scan(wanted, "", 70, None)
