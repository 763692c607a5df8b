"""What every output format carries per finding (file, line, column where known, code, name, severity, message,
fix, the rule's page), checked on real output; JSON documents are validated against schemas/."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.helpers import AS_OF, write_tree
from tests.links_server import WebServer

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"
SETTINGS = textwrap.dedent("""\
    [settings]
    link_timeout = 1.0
    link_retries = 0
    allow_private_addresses = true
    """)


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False, env=env)


def valid(document: dict, schema: str) -> dict:
    jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text(encoding="utf-8"))).validate(document)
    return document


@pytest.fixture
def server() -> Iterator[WebServer]:
    with WebServer() as web:
        yield web


@pytest.fixture
def directory(tmp_path: Path, server: WebServer) -> Path:
    """A dead link in the body (its column is known) and a one-way relation."""
    return write_tree(tmp_path / "dir", {
        "auditor.toml": SETTINGS,
        "tools/a.md": "---\nkind: tool\ntitle: A\nowner: desk\nrelated: [b]\n---\n"
                      f"See the [guide]({server.url('/gone')}).\n",
        "tools/b.md": "---\nkind: tool\ntitle: B\nowner: desk\n---\nNothing.\n",
    })


def test_json_of_check_audit_and_links_check_match_their_schemas(directory: Path, server: WebServer,
                                                                   tmp_path: Path) -> None:
    checked = valid(json.loads(run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format",
                                   "json").stdout), "findings.schema.json")
    (dead,) = [f for f in checked["findings"] if f["code"] == "LNK001"]
    assert dead["column"] == len("See the [guide](") + 1 and dead["line"] == 7
    assert dead["docs_url"] == "https://auditor.readthedocs.io/en/latest/rules/LNK001/" and dead["fix"]
    example = tmp_path / "example"
    shutil.copytree(EXAMPLES, example, ignore=shutil.ignore_patterns(".auditor"))
    audited = run("audit", str(example), "--offline", "--as-of", AS_OF, "--format", "json",
                  "--db", f"sqlite:///{tmp_path / 'a.db'}")
    assert len(valid(json.loads(audited.stdout), "findings.schema.json")["findings"]) > 10
    links = run("links", "check", server.url("/ok"), server.url("/gone"), server.url("/moved"),
                "--allow-private-addresses", "--format", "json")
    document = valid(json.loads(links.stdout), "links.schema.json")
    assert {r["verdict"] for r in document["results"]} == {"alive", "broken", "redirected"}


def test_the_schema_refuses_a_finding_without_its_fix_or_rule_page(directory: Path) -> None:
    document = json.loads(run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format", "json").stdout)
    del document["findings"][0]["docs_url"]
    with pytest.raises(jsonschema.ValidationError):
        valid(document, "findings.schema.json")


def test_text_prints_the_fix_below_each_finding_and_quiet_keeps_one_line(directory: Path) -> None:
    text = run("check", str(directory / "tools/a.md"), "--as-of", AS_OF).stdout.splitlines()
    at = next(i for i, line in enumerate(text) if " LNK001 " in line)
    assert ":7:17: LNK001 " in text[at]
    assert text[at + 1].startswith("    fix: ") and text[at + 1].endswith("(see https://auditor.readthedocs.io/en/latest/rules/LNK001/)")
    quiet = run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--quiet").stdout.splitlines()
    assert quiet and not [line for line in quiet if line.startswith(" ")]
    assert len(quiet) == len([line for line in text if not line.startswith(" ")])


def test_rule_pages_follow_the_setting(directory: Path) -> None:
    with (directory / "auditor.toml").open("a", encoding="utf-8") as config:
        config.write('docs_url = "https://docs.example.org/auditor/"\nrule_docs_url = "{base}/r/{name}.html"\n')
    document = json.loads(run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format", "json").stdout)
    (dead,) = [f for f in document["findings"] if f["code"] == "LNK001"]
    assert dead["docs_url"] == "https://docs.example.org/auditor/r/links.broken.html"


def test_sarif_rules_link_their_page_and_describe_themselves(directory: Path) -> None:
    sarif = json.loads(run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format", "sarif").stdout)
    run_ = sarif["runs"][0]
    rules = {r["id"]: r for r in run_["tool"]["driver"]["rules"]}
    assert rules["LNK001"]["helpUri"] == "https://auditor.readthedocs.io/en/latest/rules/LNK001/"
    assert "404" in rules["LNK001"]["fullDescription"]["text"]
    (dead,) = [r for r in run_["results"] if r["ruleId"] == "LNK001"]
    assert dead["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 17}


def test_github_annotations_and_the_job_summary(directory: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format", "github",
                 env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    (line,) = [line for line in result.stdout.splitlines() if "LNK001" in line]
    assert line.startswith("::error file=") and ",line=7,col=17," in line
    assert "%0AFix: " in line and "%0ARule: https%3A//auditor.readthedocs.io/en/latest/rules/LNK001/" not in line
    assert "%0ARule: https://auditor.readthedocs.io/en/latest/rules/LNK001/" in line
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("earlier step\n## auditor check\n")
    assert "| error | `" in markdown and "[LNK001](https://auditor.readthedocs.io/en/latest/rules/LNK001/)" in markdown
    plain = run("check", str(directory / "tools/a.md"), "--as-of", AS_OF, "--format", "github",
                env={"GITHUB_STEP_SUMMARY": ""})
    assert plain.stdout == result.stdout


def test_the_findings_document_is_json_s_own_indented_text_whatever_the_fields_hold() -> None:
    """`format_json` writes the findings through json's C encoder (indent=2 turns it off): the text must be what
    `json.dumps(document, indent=2, default=str)` gives, for awkward strings, dates, nested summaries and records
    that are not flat (those take json's own way)."""
    import datetime as dt

    from auditor.output import indented_json

    records = [{"entry": 'quote " backslash \\ slash /', "path": "x/é.md", "line": 3, "column": None,
                "message": "tab\tline\nsep \u2028 emoji \U0001F600 nul \x00", "fix": "", "ok": True, "ratio": 1.5},
               {"entry": "z", "line": 0}]
    summary = {"as_of": dt.date(2026, 1, 1), "nested": {"a": [1, {"b": None}]}, "empty": {}, "list": []}
    for document in ({"findings": records, "summary": summary}, {"findings": records, "summary": {}},
                     {"findings": records}, {"findings": [], "summary": summary},
                     {"findings": [{"x": [1, 2]}], "summary": summary}, {"findings": [{}]}, {}):
        assert indented_json(document) == json.dumps(document, indent=2, default=str) + "\n"


def test_paths_of_one_root_show_as_display_path_shows_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.output import display_path, display_paths

    (tmp_path / "top" / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    paths = ["a.md", "tools/x.md", "./b.md", "c//d.md", "sub/e.md", "sub/../f.md", "../g.md", "../../h.md",
             "/abs/i.md", "https://site.example/page", "", ".", "dir/sub/j.md", "x..y.md", "..k.md"]
    roots = [".", "dir", "dir/sub", "..", "../..", "../other", str(tmp_path / "top" / "dir"), str(tmp_path),
             "dir/../dir", "dir/"]
    for cwd in (tmp_path / "top", tmp_path / "top" / "dir" / "sub", tmp_path / "other"):
        monkeypatch.chdir(cwd)
        for root in roots:
            show = display_paths(Path(root))
            for path in paths:
                assert show(path) == display_path(Path(root), path), (cwd, root, path)
