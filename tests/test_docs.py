"""Docs enforced by tests: the site builds strictly, every rule, setting and command has its generated page, the
address a finding carries is its rule's page, the README is a short front door, and nothing points outside the
repository."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
import yaml

from auditor.checks.base import Rule
from auditor.checks.engine import all_rules
from auditor.models import Severity
from auditor.output import rule_url
from auditor.settings import DEFAULTS, SCHEDULE_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load("generate")


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return generate.pages()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built with `mkdocs build --strict` (a broken link or anchor fails it) from a copy of the
    repository's docs, so the build's generated pages do not touch the working tree."""
    work = tmp_path_factory.mktemp("docs")
    shutil.copytree(DOCS, work / "docs", ignore=shutil.ignore_patterns(*generate.GENERATED, "__pycache__"))
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(work / "docs")
    config["hooks"] = [str(DOCS / "hooks.py")]  # the generator of this checkout, writing into the copy
    (work / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    out = work / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                            cwd=work, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def test_the_site_builds_strictly_with_every_generated_page(site: Path, pages: dict[str, str]) -> None:
    for rel in pages:
        built = site / rel.removesuffix(".md") / "index.html" if not rel.endswith("index.md") else \
            site / rel.removesuffix("index.md") / "index.html"
        assert built.is_file(), f"{rel} was not built"
    assert (site / "images" / "report.png").is_file()


def test_every_rule_has_its_page_with_docs_and_cases(pages: dict[str, str]) -> None:
    for rule in all_rules():
        page = pages[f"rules/{rule.code}.md"]
        assert page.startswith(f"# {rule.code} {rule.name}\n"), rule.code
        assert f"| Default severity | {rule.severity.name} |" in page, rule.code
        for field in ("what", "why", "example", "fix"):
            assert generate.prose(str(getattr(rule, field)).strip()) in page, f"{rule.code}: its {field} is not there"
        cases = yaml.safe_load((ROOT / "tests" / "rules" / "cases" / f"{rule.code}.yml").read_text(encoding="utf-8"))
        for case in cases["cases"]:
            assert f"#### {case['name']}\n" in page, f"{rule.code}: case {case['name']!r} is not on its page"
        assert "### What it reports" in page and "### What it does not report" in page, rule.code
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.name} |" in pages["rules/index.md"]


def test_a_rule_page_names_the_packs_and_settings_it_reads(pages: dict[str, str]) -> None:
    hedging = pages["rules/PRS001.md"]
    assert "`rules/prose/hedging.yml`" in hedging and "[pack.prose.hedging]" in hedging
    assert "| `density` |" in hedging  # the pack's own values, with their defaults
    broken = pages["rules/LNK005.md"]
    assert "| `link_fail_after_hours` | `24` |" in broken


def test_every_setting_is_in_the_generated_reference(pages: dict[str, str]) -> None:
    page = pages["reference/settings.md"]
    settings, schedule = page.split("## `[schedule]`", 1)
    for key in DEFAULTS:
        assert f"| `{key}` |" in settings, f"setting {key} is not in the settings reference"
    for key in SCHEDULE_DEFAULTS:
        assert f"| `{key}` |" in schedule, f"[schedule] {key} is not in the settings reference"
    assert '| `link_timeout` | `10.0` | Seconds to wait for a connection' in settings


def test_every_command_is_in_the_cli_reference(pages: dict[str, str]) -> None:
    import typer

    from auditor.cli import app

    page = pages["reference/cli.md"]

    def walk(command: Any, path: list[str]) -> None:
        assert f"## `{' '.join(path)}`\n" in page, f"{' '.join(path)} is not in the CLI reference"
        for param in command.params:
            if param.name != "help" and not getattr(param, "hidden", False):
                shown = f"`{param.opts[0]}`" if param.param_type_name == "option" else f"`{param.name}`"
                assert shown in page
        for name, child in (getattr(command, "commands", None) or {}).items():
            walk(child, [*path, name])

    walk(typer.main.get_command(app), ["auditor"])
    assert "## `auditor tickets snooze`" in page and "`--until`" in page


def test_a_new_rule_and_a_new_setting_get_their_pages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class Newcomer(Rule):
        code = "ZZZ901"
        name = "newcomer.example"
        severity = Severity.info
        title = "A rule written after the docs"
        what = "Reports nothing in particular; reads `link_timeout`."
        why = "To show its page appears by itself."
        example = "Any entry."
        fix: ClassVar[str] = "Nothing to fix."

    import auditor.checks.engine as engine

    monkeypatch.setattr(engine, "all_rules", lambda: (*all_rules(), Newcomer))
    settings_file = tmp_path / "settings.py"
    source = (ROOT / "auditor" / "settings.py").read_text(encoding="utf-8")
    source = source.replace('    "link_site_urls": [],\n',
                            '    "link_site_urls": [],\n    # A setting added after the docs were written.\n'
                            '    "brand_new": 7,\n', 1)
    settings_file.write_text(source, encoding="utf-8")
    monkeypatch.setattr(generate, "SETTINGS_FILE", settings_file)
    monkeypatch.setitem(DEFAULTS, "brand_new", 7)
    made = generate.pages()
    assert made["rules/ZZZ901.md"].startswith("# ZZZ901 newcomer.example\n")
    assert "[ZZZ901](ZZZ901.md)" in made["rules/index.md"]
    assert "| `brand_new` | `7` | A setting added after the docs were written. |" in made["reference/settings.md"]
    written = generate.generate(tmp_path / "docs")
    assert (tmp_path / "docs" / "rules" / "ZZZ901.md") in written
    monkeypatch.setattr(engine, "all_rules", all_rules)  # the rule is gone: so is its page
    generate.generate(tmp_path / "docs")
    assert not (tmp_path / "docs" / "rules" / "ZZZ901.md").exists()


def test_a_finding_links_its_rules_page(site: Path) -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_url"] == DEFAULTS["docs_url"] + "/"  # the default address is where the site is published
    assert rule_url("XRF001", "xref.missing-target") == f"{DEFAULTS['docs_url']}/rules/XRF001/"
    served = {"docs_url": site.as_uri(), "rule_docs_url": DEFAULTS["rule_docs_url"]}  # a server adds index.html
    on_disk = {"docs_url": site.as_uri(), "rule_docs_url": "{base}/rules/{code}/index.html"}  # as configuration.md says
    for rule in all_rules():
        for settings, page_of in ((served, lambda path: path / "index.html"), (on_disk, lambda path: path)):
            url = rule_url(rule.code, rule.name, settings)
            page = page_of(Path(url.removeprefix("file://")))
            assert url.startswith("file://") and page.is_file(), f"{url} is no page of the site"
            assert f"{rule.code} {rule.name}" in page.read_text(encoding="utf-8")


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("make audit") and block[1].startswith("make test")


def test_readme_is_a_short_front_door_whose_links_resolve() -> None:
    assert len(README.splitlines()) <= 200
    for use in ("pip install", "pipx install", "auditor init", "auditor audit", "auditor check --changed-since"):
        assert use in README, use
    for target in re.findall(r"\]\(([^)\s]+)\)", README):
        if "://" in target:
            continue
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"README links {target}, which is not in the repository"


def test_nothing_in_the_repository_points_outside_it() -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    needles = ("/".join(("..", "shared")), "/".join(("", "work", "shared")))  # spelt apart: this file is searched too
    outside = []
    for rel in files.stdout.split("\0"):
        path = ROOT / rel
        if not rel or not path.is_file() or path.suffix in {".png"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if any(needle in text for needle in needles):
            outside.append(rel)
    assert outside == []


def test_the_screenshot_is_the_report_photographed_by_chromium(tmp_path: Path) -> None:
    screenshot = _load("screenshot")
    if screenshot.browser() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium on PATH: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium); the screenshot was not retaken")
    committed = screenshot.PNG.read_bytes()
    taken = screenshot.take(tmp_path / "report.png").read_bytes()
    assert screenshot.png_size(taken) == screenshot.png_size(committed) == (screenshot.WIDTH, screenshot.HEIGHT)
    pixels = screenshot.png_pixels(taken)
    assert len(set(pixels)) > 50  # a rendered report, not a blank page
    assert "docs/images/report.png" in README
