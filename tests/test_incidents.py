"""Incident response: the example post-mortems, `auditor incident validate` and `stats`, the policy read from the
Incident response entry, and the IR rules on the example directory."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.checks.engine import all_rules
from auditor.cli import app
from auditor.config import load_config
from auditor.incidents.documents import DocumentRule, validate_documents
from auditor.incidents.policy import policy_from_pack, resolve_policy
from auditor.models import Severity
from auditor.pipeline import check_entries, load_entries
from auditor.sources.postmortem import PostmortemDoc, load_document, read_document
from tests.helpers import AS_OF, write_tree

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "incidents"
DIRECTORY = ROOT / "examples" / "directory"
DAY = dt.date.fromisoformat(AS_OF)
VALID = sorted((EXAMPLES / "valid").iterdir())
INVALID = sorted((EXAMPLES / "invalid").iterdir())


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _example_policy():
    config = load_config(DIRECTORY)
    policy, entry = resolve_policy(config.pack, load_entries(DIRECTORY, config))
    assert entry is not None and entry.id == "incident-response"
    return policy


def _validate(path: Path) -> list:
    config = load_config(EXAMPLES)
    return validate_documents([load_document(path)], config, DAY, _example_policy())


# --- examples/incidents --------------------------------------------------------------------------------------


def test_there_are_valid_and_invalid_examples() -> None:
    assert len(VALID) >= 3 and any(p.suffix == ".md" for p in VALID)
    assert len(INVALID) >= 10


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_pass(path: Path) -> None:
    assert _validate(path) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_each_invalid_example_fails_with_the_finding_it_was_written_for(path: Path) -> None:
    expected = re.search(r"^# expect: (PM\d{3})$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert expected, f"{path.name} has no `# expect: PMnnn` line"
    findings = _validate(path)
    assert expected.group(1) in {f.code for f in findings}, findings
    others = [f"{f.code} {f.message}" for f in findings
              if f.code != expected.group(1) and f.severity >= Severity.warning]
    assert not others, others


def test_every_pm_rule_has_an_invalid_example() -> None:
    codes = {re.search(r"^# expect: (PM\d{3})$", p.read_text(encoding="utf-8"), re.MULTILINE).group(1) for p in INVALID}
    assert codes == {r.code for r in all_rules() if r.code.startswith("PM")}


# --- auditor incident validate ---------------------------------------------------------------------------------


def test_validate_valid_examples_exits_0_and_names_the_policy_source() -> None:
    result = run("incident", "validate", str(EXAMPLES / "valid"), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "3 post-mortems validated: 0 error, 0 warning, 0 info" in result.stderr
    assert "within 15 minutes" in result.stderr and "within 48 hours" in result.stderr
    assert "skills/incident-response.md" in result.stderr


def test_validate_prints_path_line_code_and_exits_1() -> None:
    path = EXAMPLES / "invalid" / "pm007-status-page-late.yml"
    result = run("incident", "validate", str(path), "--as-of", AS_OF)
    assert result.exit_code == 1
    line, fix = result.stdout.splitlines()
    assert fix.startswith("    fix: ") and fix.endswith("(see https://auditor.readthedocs.io/en/latest/rules/PM007/)")
    assert re.fullmatch(r".*pm007-status-page-late\.yml:16: PM007 the first status-page update came 35 minutes "
                        r"after declaration; the policy allows 15 minutes .*\[error\]", line), line


def test_validate_fail_on_and_warning_findings() -> None:
    path = str(EXAMPLES / "invalid" / "pm012-vague-item.yml")
    assert run("incident", "validate", path, "--as-of", AS_OF).exit_code == 0  # a warning; --fail-on error
    assert run("incident", "validate", path, "--as-of", AS_OF, "--fail-on", "warning").exit_code == 1
    assert run("incident", "validate", str(EXAMPLES / "invalid"), "--as-of", AS_OF, "--fail-on", "none").exit_code == 0


def test_validate_json_has_the_check_shape() -> None:
    result = run("incident", "validate", str(EXAMPLES / "invalid" / "pm015-unknown-category.yml"), "--as-of", AS_OF,
                 "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert set(document) == {"findings", "summary"}
    (finding,) = document["findings"]
    assert set(finding) == {"entry", "path", "line", "column", "code", "name", "severity", "message", "evidence",
                            "fix", "docs_url"}
    assert finding["code"] == "PM015" and finding["entry"] == "INC-2026-1007" and finding["line"] == 44
    assert document["summary"]["by_family"] == {"PM": {"error": 1, "warning": 0, "info": 0}}


def test_validate_github_annotations() -> None:
    result = run("incident", "validate", str(EXAMPLES / "invalid" / "pm017-blaming-root-cause.yml"), "--as-of", AS_OF,
                 "--format", "github")
    assert result.stdout.startswith("::warning file=")
    assert ",line=48,title=PM017 postmortem.blame::" in result.stdout


def test_validate_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("incident", "validate", str(tmp_path / "nope.yml")).exit_code == 2
    assert run("incident", "validate", str(EXAMPLES / "valid"), "--as-of", "yesterday").exit_code == 2


def test_a_broken_file_does_not_stop_the_others() -> None:
    result = run("incident", "validate", str(EXAMPLES / "invalid" / "pm001-broken-yaml.yml"),
                 str(EXAMPLES / "invalid" / "pm003-severity-off-the-scale.yml"), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "pm001-broken-yaml.yml:11: PM001 not valid YAML" in result.stdout
    assert "PM003" in result.stdout


def test_policy_overrides_on_the_command_line() -> None:
    path = str(EXAMPLES / "valid" / "2026-10-07-checkout-routing-config.yml")
    result = run("incident", "validate", path, "--as-of", AS_OF, "--status-page-minutes", "5")
    assert result.exit_code == 1 and "PM007" in result.stdout and "--status-page-minutes" in result.stdout


def test_validate_with_the_directory_policy_given_by_option(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "entries/skills/incident-response.md": "---\nkind: skill\ntitle: IR\ntags: [incident-response]\n---\n"
                                               "- Post to the status page within 5 minutes of declaration.\n"
                                               "- Hold the post-mortem meeting within 24 hours.\n",
    })
    path = str(EXAMPLES / "valid" / "2026-10-07-checkout-routing-config.yml")
    result = run("incident", "validate", path, "-d", str(tmp_path / "entries"), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "PM007" in result.stdout and "allows 5 minutes (policy from skills/incident-response.md:6)" in result.stdout
    assert "PM009" in result.stdout and "allows 24 hours" in result.stdout


# --- the policy ------------------------------------------------------------------------------------------------


def test_policy_is_read_from_the_incident_response_entry() -> None:
    policy = _example_policy()
    assert policy.level_names == ["P0", "P1", "P2", "P3"]
    assert policy.level("P1").impact == "major feature broken"
    assert policy.status_page_minutes == 15 and policy.postmortem_hours == 48
    assert policy.sources["status_page_minutes"] == "skills/incident-response.md:23"
    assert policy.sources["postmortem_hours"] == "skills/incident-response.md:25"
    assert policy.sources["update_cadence_minutes"].startswith("configuration")  # "at regular intervals" says no number


def test_policy_falls_back_to_configuration(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "skills/incident-response.md": "---\nkind: skill\ntitle: IR\n---\nNothing about timing.\n",
        "auditor.toml": "[pack.incident.policy]\nstatus_page_minutes = 20\npostmortem_hours = 72\n",
    })
    config = load_config(tmp_path)
    policy, entry = resolve_policy(config.pack, load_entries(tmp_path, config))
    assert entry is not None
    assert (policy.status_page_minutes, policy.postmortem_hours) == (20, 72)
    assert policy.level_names == ["P0", "P1", "P2", "P3"]
    config.pack["incident"]["policy"]["entry"] = None
    policy, entry = resolve_policy(config.pack, load_entries(tmp_path, config))
    assert entry is None and policy.status_page_minutes == 20


# --- auditor incident stats ------------------------------------------------------------------------------------


def test_stats_prints_the_comparison_table() -> None:
    result = run("incident", "stats", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "sre-workbook-appendix-c.yml" in text
    assert re.search(r"Triggers \(\d+ classified post-mortems\)", text)
    assert re.search(r"category\s+count\s+share\s+Appendix C\s+difference", text)
    assert re.search(r"binary_push\s+\d+\s+[\d.]+%\s+37%\s+[-+]\d+ pts", text)
    assert re.search(r"software\s+\d+\s+[\d.]+%\s+41%", text)
    assert "pm001-broken-yaml.yml" in result.stderr  # not counted, and said so


def test_stats_json_and_html(tmp_path: Path) -> None:
    page = tmp_path / "incidents.html"
    result = run("incident", "stats", str(EXAMPLES / "valid"), "--format", "json", "--html", str(page))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    triggers = {row["category"]: row for row in data["triggers"]["rows"]}
    assert data["triggers"]["classified"] == 3
    assert triggers["configuration_push"]["count"] == 1 and triggers["configuration_push"]["appendix_c"] == 31
    causes = {row["category"]: row for row in data["root_causes"]["rows"]}
    assert causes["software"]["appendix_c"] == 41.35
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "<style>" in html
    assert 'class="ours" style="width: 33%"' in html and 'class="ref" style="width: 37%"' in html


def test_stats_without_the_facts_registry_uses_the_incident_pack(tmp_path: Path) -> None:
    from auditor.incidents.stats import collect

    config = load_config(tmp_path)
    config.pack.pop("facts", None)
    stats = collect(EXAMPLES / "valid", config)
    assert stats.source.startswith("rules/incident.yml")
    assert {r.category: r.reference for r in stats.mixes[0].rows}["binary_push"] == 37


# --- IR rules on the example directory -------------------------------------------------------------------------


def _audit_examples() -> list:
    config = load_config(DIRECTORY)
    config.enabled |= {"IR"}
    return check_entries(load_entries(DIRECTORY, config), config, DAY)


def test_incident_response_entry_passes_every_ir_rule() -> None:
    ir_codes = {r.code for r in all_rules() if r.code.startswith("IR")}
    assert len(ir_codes) >= 8
    findings = [f for f in _audit_examples() if f.entry == "incident-response" and f.family == "IR"]
    assert findings == []


def test_legacy_entry_fails_each_with_its_evidence_quoted() -> None:
    findings = [f for f in _audit_examples() if f.entry == "incident-runbook-legacy" and f.family == "IR"]
    by_code = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    assert set(by_code) == {"IR001", "IR007", "IR009"}
    (missing,) = by_code["IR001"]
    assert "P2 is never defined" in missing.message
    assert "P0 for a complete outage of a customer-facing service" in missing.evidence
    (clash,) = by_code["IR007"]
    assert "“within 15 minutes” (line 22) and “within 30 minutes” (line 35)" in clash.message
    assert "line 22: Post to the status page within 15 minutes" in clash.evidence
    assert "line 35: The first status-page post is due within 30 minutes" in clash.evidence
    phrases = sorted(f.message for f in by_code["IR009"])
    assert phrases == ["blaming language: “human error”", "blaming language: “should have”"]
    assert all("come down to human error" in f.evidence for f in by_code["IR009"])
    assert all(f.fix and f.reason == "BLAME" for f in by_code["IR009"])


def test_pm_rules_find_nothing_in_entries() -> None:
    assert not [f for f in _audit_examples() if f.family == "PM"]
    assert all(isinstance(r(), DocumentRule) for r in all_rules() if r.code.startswith("PM"))


def test_ir_entry_misquoting_a_registry_figure_gets_stl007(tmp_path: Path) -> None:
    write_tree(tmp_path, {"skills/ir.md": (
        "---\nkind: skill\ntitle: IR\ntags: [incident-response]\n---\n## Key features\n"
        "- P0 for complete outage, P1 for major feature broken, P2 for degraded experience, P3 for minor issue\n"
        "- In the SRE workbook's Appendix C, configuration pushes caused 41% of outage triggers.\n")})
    config = load_config(tmp_path)
    findings = check_entries(load_entries(tmp_path, config), config, DAY)
    (mismatch,) = [f for f in findings if f.code == "STL007"]
    assert mismatch.line == 8 and "31%" in mismatch.message
    assert not [f for f in findings if f.family == "IR" and f.code in ("IR001", "IR002")]


# --- bad input never raises ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "incident: [1, 2]\npostmortem: 3\n",
    "incident: {id: [x], severity: {a: 1}, status: 7, times: [1], roles: x, timeline: x, status_page_updates: 5}\n",
    "incident: {status: closed, times: {declared_at: 5, resolved_at: '2026-10-07T10:30:00Z'}}\n"
    "postmortem: {action_items: [1, {due: 5, owner: 7, description: 9, type: [], priority: {}}], root_causes: [x],"
    " trigger: x, impact: x, meeting_at: [], contributing_factors: {a: b}}\n",
    "- just\n- a list\n",
])
def test_wrong_types_are_findings_not_crashes(text: str) -> None:
    doc = read_document(text.encode(), PostmortemDoc(id="x", path="x.yml"))
    config = load_config(EXAMPLES)
    findings = validate_documents([doc], config, DAY, policy_from_pack(config.pack))
    assert findings and all(f.code.startswith("PM") for f in findings)


RUNBOOK = """---
name: On-call runbook
description: What to do when production breaks.
---
## Severity
- SEV1: the whole service is down for all users.
- SEV2: a major feature is broken.

## Roles
Someone is named incident commander and writes the timeline.
"""


def test_an_entry_that_defines_a_scale_and_a_commander_is_an_incident_entry_untagged(tmp_path: Path) -> None:
    write_tree(tmp_path, {"runbooks/oncall.md": RUNBOOK,
                          "runbooks/sizes.md": RUNBOOK.replace("incident commander", "owner"),
                          "runbooks/excluded.md": RUNBOOK,
                          # Names levels and a commander, defines no scale (a post-mortem writing skill).
                          "runbooks/postmortem.md": "---\nname: Post-mortem\ndescription: Writes one.\n---\n"
                                                    "## Gather\n- Severity (P1\u2013P4 or equivalent)\n"
                                                    "- Incident commander / on-call owner\n",
                          "auditor.toml": '[pack.incident.entries]\nexclude = ["runbooks/excluded"]\n'})
    config = load_config(tmp_path)
    entries = load_entries(tmp_path, config)
    findings = check_entries(entries, config, dt.date.fromisoformat(AS_OF), root=tmp_path)
    judged = {f.entry for f in findings if f.code.startswith("IR")}
    # IR004: the commander is named but not shown coordinating; the entry without one, the one that only names
    # levels, and the excluded one are not incident-response entries at all.
    assert judged == {"runbooks/oncall"}
    assert "IR004" in {f.code for f in findings if f.entry == "runbooks/oncall"}
    config.pack["incident"]["entries"]["by_content"] = False
    assert not [f for f in check_entries(entries, config, dt.date.fromisoformat(AS_OF), root=tmp_path)
                if f.code.startswith("IR")]
