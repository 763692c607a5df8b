"""The project is described in pyproject.toml; this only adds the data the auditor ships to the wheel.

The rule packs (rules/) and report templates (reports/) are top-level folders of the repository, edited as data;
building the package copies them into auditor/_data/, where auditor/shipped.py finds them in an installed auditor.
An editable install (`make setup`) reads the repository's folders directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("rules", "reports")  # as in auditor/shipped.py


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            target = Path(self.build_lib) / "auditor" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
