"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run for real on git repositories
the tests create: the action's run steps as a plain bash script, the hook's entry on the files a commit stages."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import git, skill, write_tree

REPO = Path(__file__).resolve().parent.parent
BIN = str(Path(sys.executable).parent)  # where this environment's `auditor` is: installed from this checkout
BODY = """## Use cases
- When something needs doing.
## Key features
- It does the thing.
## When to Use This Skill
When the thing needs doing.
## Expected Output
The thing, done.
## Frequently Asked Questions
### Is it useful?
Yes, for the tests.
"""


def repository(root: Path) -> Path:
    write_tree(root, {
        "auditor.toml": 'name = "ci"\n',
        "skills/alpha.md": skill("alpha", ["beta"], body=BODY),
        "skills/beta.md": skill("beta", ["alpha"], body=BODY),
        "README.md": "# The directory\n",
    })
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "editor@example.com")
    git(root, "config", "user.name", "Editor")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def expression(text: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    """A `${{ a || b }}` of the action's env, as Actions would expand it (inputs and github context only)."""
    def value(match: re.Match[str]) -> str:
        for term in match.group(1).split("||"):
            scope, _, name = term.strip().partition(".")
            found = inputs.get(name, "") if scope == "inputs" else github.get(name, "")
            if found:
                return found
        return ""
    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", value, text)


def test_the_action_checks_a_pull_requests_changed_lines_with_annotations_and_a_summary(tmp_path: Path) -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    install = next(step for step in steps if step.get("id") == "install")
    # Installed at the action's own ref: the checkout of the action GitHub puts at github.action_path.
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}" and '-e "$ACTION_PATH"' in install["run"]
    origin = repository(tmp_path / "origin")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    git(clone, "config", "user.email", "contributor@example.com")
    git(clone, "config", "user.name", "Contributor")
    git(clone, "checkout", "-q", "-b", "feature")
    git(clone, "branch", "-q", "-D", "main")  # as on a runner: the base branch is only on the remote
    write_tree(clone, {"skills/gamma.md": skill("gamma", ["alphaa"], body=BODY)})
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "add gamma")

    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    github = {"action_path": str(REPO), "base_ref": "main", "event": ""}
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "GITHUB_STEP_SUMMARY": str(summary)}
    done = None
    for step in steps:
        if "run" not in step or step.get("id") == "install":
            continue
        assert step["shell"] == "bash"
        step_env = {**env, **{k: expression(str(v), inputs, github) for k, v in step.get("env", {}).items()}}
        folder = clone / expression(step.get("working-directory", "."), inputs, github)
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=folder, env=step_env, capture_output=True,
                              text=True, check=False)
    assert done is not None
    assert done.returncode == 1, done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations and all("file=skills/gamma.md" in line for line in annotations)
    assert any(line.startswith("::error file=skills/gamma.md,line=") and "XRF001" in line for line in annotations)
    assert "XRF001" in summary.read_text(encoding="utf-8")
    assert git(clone, "rev-parse", "origin/main") == git(origin, "rev-parse", "main")

    write_tree(clone, {"skills/gamma.md": skill("gamma", ["alpha"], body=BODY)})
    git(clone, "commit", "-q", "-am", "fix gamma")
    check = next(step for step in steps if step.get("id") == "check")
    step_env = {**env, **{k: expression(str(v), inputs, github) for k, v in check["env"].items()}}
    again = subprocess.run(["bash", "-e", "-c", check["run"]], cwd=clone, env=step_env, capture_output=True,
                           text=True, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    missing = subprocess.run(["bash", "-e", "-c", check["run"]], cwd=clone, env={**step_env, "AUDITOR_BASE": ""},
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "no base revision" in missing.stderr


def test_the_example_workflow_uses_the_action_with_the_history_it_needs() -> None:
    workflow = yaml.safe_load((REPO / "examples/ci/auditor-check.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["check"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@") and steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].endswith("/auditor@REF")


def staged_files(root: Path, hook: dict) -> list[str]:
    """What pre-commit passes the hook: the staged files its `files` pattern takes and `exclude` leaves."""
    names = git(root, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z").split("\0")
    return [name for name in names if name and re.search(hook["files"], name)
            and not re.search(hook.get("exclude", "^$"), name)]


@pytest.fixture
def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (found,) = [h for h in hooks if h["id"] == "auditor-check"]
    assert found["language"] == "python" and found["entry"].startswith("auditor check ")
    return found


def test_the_pre_commit_hook_fails_a_commit_with_a_broken_entry_and_passes_a_clean_one(tmp_path: Path,
                                                                                     hook: dict) -> None:
    root = repository(tmp_path / "dir")
    write_tree(root, {"skills/gamma.md": skill("gamma", ["alphaa"], body=BODY), "README.md": "# Changed\n",
                      "notes/plan.yml": "steps: [one, two]\n", ".github/workflows/ci.yml": "on: push\n",
                      "tools/run.py": "print('not checked')\n"})
    git(root, "add", "-A")
    files = staged_files(root, hook)
    assert sorted(files) == ["README.md", "notes/plan.yml", "skills/gamma.md"]
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"]}
    entry = shlex.split(hook["entry"]) + hook.get("args", [])
    done = subprocess.run(entry + files, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert re.search(r"^skills/gamma\.md:\d+: XRF001 related id `alphaa`", done.stdout, re.MULTILINE)
    assert "notes/plan.yml is not an entry" in done.stderr and "README.md" not in done.stdout
    write_tree(root, {"skills/gamma.md": skill("gamma", ["alpha"], body=BODY)})
    git(root, "add", "-A")
    clean = subprocess.run(entry + staged_files(root, hook), cwd=root, env=env, capture_output=True, text=True,
                           check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
