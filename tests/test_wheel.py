"""`pip install .` from a clean copy gives a working `auditor`: build the wheel, install it into a fresh virtual
environment in a temporary folder, and audit a copy of examples/directory with it, far from the repository.

The wheel is built without build isolation and installed without its dependencies, which the fresh environment
borrows from the test environment's site-packages (a .pth line), so nothing is downloaded; the auditor itself, with
its rule packs, report templates and migrations, comes only from the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-28"
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "site", ".auditor", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache")


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode in (0, 1), f"{' '.join(command)}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.mark.slow
def test_the_wheel_installs_and_audits_the_example_from_anywhere(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=NOT_SOURCES)
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(wheels), str(clone)], cwd=tmp_path)
    (wheel,) = wheels.glob("auditor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("auditor/_data/rules/kinds.yml", "auditor/_data/rules/prose/hedging.yml",
                    "auditor/_data/reports/report.html.j2", "auditor/store/migrations/env.py",
                    "auditor/store/migrations/versions/0001_initial_schema.py"):
        assert shipped in names, f"{shipped} is not in the wheel"

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], cwd=tmp_path)
    fresh_site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           cwd=tmp_path).stdout.strip())
    (fresh_site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = _run([str(python), "-c", "import auditor.config, auditor.report, auditor.store.db as db; "
                  "print(auditor.__file__); print(auditor.config.RULES_DIR); print(auditor.report.TEMPLATES); "
                  "print(db.MIGRATIONS)"], cwd=tmp_path, env=env).stdout.split()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv.resolve()), f"{path} is not the installed auditor's"

    directory = tmp_path / "somewhere" / "directory"
    shutil.copytree(ROOT / "examples" / "directory", directory, ignore=shutil.ignore_patterns(".auditor"))
    installed = _run([str(venv / "bin" / "auditor"), "audit", str(directory), "--offline", "--as-of", AS_OF,
                      "--format", "json"], cwd=directory.parent, env=env)
    document = json.loads(installed.stdout)
    assert document["summary"]["entries"] == 30
    assert (directory / ".auditor" / "report" / "index.html").is_file()
    assert (directory / ".auditor" / "auditor.db").is_file()

    # The same audit by the checkout's auditor finds the same: the wheel lost no rule pack or rule.
    reference = tmp_path / "reference" / "directory"
    shutil.copytree(ROOT / "examples" / "directory", reference, ignore=shutil.ignore_patterns(".auditor"))
    checkout = _run([sys.executable, "-m", "auditor", "audit", str(reference), "--offline", "--as-of", AS_OF,
                     "--format", "json"], cwd=reference.parent)
    expected = json.loads(checkout.stdout)
    assert document["summary"]["by_family"] == expected["summary"]["by_family"]
    assert sorted((f["code"], f["path"], f["line"]) for f in document["findings"]) == \
        sorted((f["code"], f["path"], f["line"]) for f in expected["findings"])
