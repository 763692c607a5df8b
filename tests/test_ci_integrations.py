"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml), run for real on git repositories
the tests create: the action's run steps as a plain bash script (its install step into a fresh virtual environment),
the hook's entry on the files a commit stages, and the hook through the `pre-commit` package itself.

Installs take packages only from the wheelhouse `make setup` builds (.wheelhouse/: wheels of the auditor's build and
runtime requirements), with no package index, so nothing here reaches beyond this machine."""

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
WHEELHOUSE = REPO / ".wheelhouse"
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


@pytest.fixture
def offline_install_env(tmp_path: Path) -> dict[str, str]:
    """The environment a pip install runs in here: packages only from the wheelhouse, no index and no pip config
    file (this machine's extra indexes, find-links and constraints stay out), no background update of virtualenv's
    seed wheels, and a proxy on a closed local port, so anything that still tried the network would fail. The test
    environment's own bin folder is off PATH: the `auditor` that runs is the one just installed."""
    if not (WHEELHOUSE / ".built").exists():
        pytest.fail(f"{WHEELHOUSE} is missing or incomplete: `make setup` builds it")
    dropped = ("PIP_", "VIRTUALENV_", "PRE_COMMIT", "PYTHON")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(dropped) and key.upper() not in ("VIRTUAL_ENV", "NO_PROXY", "ALL_PROXY")}
    path = [folder for folder in env["PATH"].split(os.pathsep) if folder != BIN]
    closed = "http://127.0.0.1:9"
    env.update(PATH=os.pathsep.join(path), PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELHOUSE),
               PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", VIRTUALENV_NO_PERIODIC_UPDATE="1",
               VIRTUALENV_OVERRIDE_APP_DATA=str(tmp_path / "virtualenv-data"), HTTP_PROXY=closed,
               HTTPS_PROXY=closed, http_proxy=closed, https_proxy=closed)
    return env


def committed_tree(destination: Path) -> Path:
    """This checkout's HEAD as files, with no .git: what GitHub puts at an action's github.action_path."""
    destination.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    return destination


@pytest.mark.slow  # the install step puts the auditor and its requirements into a fresh virtual environment
def test_the_action_checks_a_pull_requests_changed_lines_with_annotations_and_a_summary(
        tmp_path: Path, offline_install_env: dict[str, str]) -> None:
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

    # setup-python's part: a fresh Python first on PATH, with pip and nothing else.
    runner_python = tmp_path / "runner-python"
    subprocess.run([sys.executable, "-m", "venv", str(runner_python)], check=True)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    github = {"action_path": str(committed_tree(tmp_path / "action")), "base_ref": "main", "event": ""}
    summary = tmp_path / "summary.md"
    env = {**offline_install_env, "PATH": str(runner_python / "bin") + os.pathsep + offline_install_env["PATH"],
           "GITHUB_STEP_SUMMARY": str(summary)}
    done = None
    for step in steps:
        if "run" not in step:
            continue
        assert step["shell"] == "bash"
        step_env = {**env, **{k: expression(str(v), inputs, github) for k, v in step.get("env", {}).items()}}
        folder = clone / expression(step.get("working-directory", "."), inputs, github)
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=folder, env=step_env, capture_output=True,
                              text=True, check=False)
        if step.get("id") == "install":
            assert done.returncode == 0, done.stdout + done.stderr
            assert (runner_python / "bin" / "auditor").exists()
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


@pytest.mark.slow  # each `try-repo` builds the hook's virtual environment and pip-installs the auditor into it
def test_pre_commit_try_repo_fails_a_commit_with_a_broken_entry_and_passes_a_clean_one(
        tmp_path: Path, offline_install_env: dict[str, str]) -> None:
    # The committed tree at this checkout's HEAD (`--ref`): pre-commit clones it and pip-installs it, as it would
    # the auditor's repository named in a directory's .pre-commit-config.yaml.
    head = git(REPO, "rev-parse", "HEAD").strip()
    try_repo = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "auditor-check", "--ref", head,
                "--color", "never"]
    env = {**offline_install_env, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    root = repository(tmp_path / "dir")
    write_tree(root, {"skills/gamma.md": skill("gamma", ["alphaa"], body=BODY), "README.md": "# Changed\n",
                      "notes/plan.yml": "steps: [one, two]\n"})
    git(root, "add", "-A")
    broken = subprocess.run(try_repo, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert re.search(r"^auditor check\.+Failed$", broken.stdout, re.MULTILINE), broken.stdout
    assert re.search(r"^skills/gamma\.md:\d+: XRF001 related id `alphaa`", broken.stdout, re.MULTILINE)

    write_tree(root, {"skills/gamma.md": skill("gamma", ["alpha"], body=BODY)})
    git(root, "add", "-A")
    clean = subprocess.run(try_repo, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"^auditor check\.+Passed$", clean.stdout, re.MULTILINE), clean.stdout
