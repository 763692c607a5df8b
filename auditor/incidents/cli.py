"""`auditor incident validate FILE...` and `auditor incident stats DIR` (added to the main app in auditor/cli.py)."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from auditor import __version__
from auditor.cli_common import AsOf, ConfigOpt, FindingFormat, Level, err, out
from auditor.clock import parse_as_of
from auditor.config import Config, ConfigError, find_config, load_config
from auditor.models import Severity
from auditor.outfiles import write_output
from auditor.output import exit_code, format_github, format_json, format_sarif, format_text
from auditor.safe_text import for_terminal

if TYPE_CHECKING:
    from auditor.incidents.policy import Policy

incident_app = typer.Typer(help="Validate post-mortems against the directory's incident process; compare their mix "
                                "with the SRE Workbook's Appendix C.", no_args_is_help=True)

class StatsFormat(str, Enum):
    text = "text"
    json = "json"


def _usage_error(message: str) -> typer.Exit:
    err.print(f"error: {message}", style="bold red")
    return typer.Exit(2)


def _load(root: Path, config_path: Path | None) -> Config:
    try:
        return load_config(root, config_path)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from None


def _policy(directory: Path | None, cfg: Config) -> tuple[Policy, str]:
    """The policy, and a note saying where it came from: the Incident response entry of the entry directory
    when it has one, else the configuration."""
    from auditor.incidents.policy import policy_from_pack, resolve_policy
    from auditor.pipeline import load_entries
    if directory is None:
        return policy_from_pack(cfg.pack), "configuration (no entry directory: use --directory or the " \
                                           "`incident_directory` setting)"
    entries_config = _load(directory, None) if (directory / "auditor.toml").is_file() else cfg
    policy, entry = resolve_policy(cfg.pack, load_entries(directory, entries_config))
    if entry is None:
        wanted = cfg.pack.get("incident", {}).get("policy", {}).get("entry")
        return policy, f"configuration (no readable entry `{wanted}` under {directory})"
    return policy, os.path.relpath(directory / entry.path)


@incident_app.command("validate")
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Post-mortem files (YAML, or Markdown with YAML front matter) "
                                                     "or folders of them.")],
    directory: Annotated[Path | None, typer.Option(
        "--directory", "-d", help="The entry directory whose Incident response entry sets the policy "
                                  "(default: the `incident_directory` setting of the nearest auditor.toml "
                                  "above the first file, else that auditor.toml's folder).")] = None,
    as_of: AsOf = None,
    config: ConfigOpt = None,
    fmt: Annotated[FindingFormat, typer.Option("--format", help="text, github annotations, JSON or SARIF.")]
    = FindingFormat.text,
    fail_on: Annotated[Level, typer.Option(help="Exit 1 when a finding at or above this exists.")] = Level.error,
    status_page_minutes: Annotated[float | None, typer.Option(
        help="Override the policy's status-page window.")] = None,
    postmortem_hours: Annotated[float | None, typer.Option(help="Override the policy's post-mortem window.")] = None,
) -> None:
    """Check post-mortem documents: fields, times, status-page and post-mortem windows, action items, taxonomy,
    blameless language. Output and exit codes as `auditor check`."""
    try:
        date = parse_as_of(as_of)
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    for path in paths:
        if not path.exists():
            raise _usage_error(f"{path}: no such file or directory")
    if directory is not None and not directory.is_dir():
        raise _usage_error(f"{directory}: not a directory")
    found = config or find_config(directory or paths[0])
    cfg = _load(found.parent if found else (paths[0] if paths[0].is_dir() else paths[0].parent), config)
    if directory is None and found is not None:
        directory = (found.parent / str(cfg.settings.get("incident_directory") or ".")).resolve()
        if not directory.is_dir():
            raise _usage_error(f"{found}: incident_directory {directory} is not a directory")
    policy, origin = _policy(directory, cfg)
    if status_page_minutes is not None:
        policy.status_page_minutes = status_page_minutes
        policy.sources["status_page_minutes"] = "--status-page-minutes"
    if postmortem_hours is not None:
        policy.postmortem_hours = postmortem_hours
        policy.sources["postmortem_hours"] = "--postmortem-hours"
    from auditor.incidents.documents import validate_documents
    from auditor.pipeline import summarize
    from auditor.sources.postmortem import iter_documents, load_document

    docs = [load_document(path, os.path.abspath(path), root) for path, root in iter_documents(paths)]
    findings = validate_documents(docs, cfg, date, policy)
    root = Path.cwd()
    summary = summarize(docs, findings)  # type: ignore[arg-type]  # counts documents where `check` counts entries
    if fmt == FindingFormat.json:
        sys.stdout.write(format_json(findings, root, summary))
    elif fmt == FindingFormat.github:
        sys.stdout.write(format_github(findings, root))
    elif fmt == FindingFormat.sarif:
        sys.stdout.write(format_sarif(findings, root, __version__))
    else:
        sys.stdout.write(format_text(findings, root))
        sev = summary["by_severity"]
        err.print(f"{len(docs)} post-mortems validated: {sev['error']} error, {sev['warning']} warning, "
                  f"{sev['info']} info")
        err.print(f"policy: {policy.describe()}; from {origin}")
    raise typer.Exit(exit_code(findings, None if fail_on == Level.none else Severity.parse(fail_on.value)))


@incident_app.command("stats")
def stats(
    folder: Annotated[Path, typer.Argument(help="A folder of post-mortems.")],
    as_of: AsOf = None,
    config: ConfigOpt = None,
    fmt: Annotated[StatsFormat, typer.Option("--format", help="text tables or JSON.")] = StatsFormat.text,
    html: Annotated[Path | None, typer.Option("--html", help="Also write an HTML page with a bar chart here.")]
    = None,
) -> None:
    """Compare the trigger and root-cause mix of a folder of post-mortems with the SRE Workbook's Appendix C."""
    from auditor.incidents.stats import as_dict, collect, render_html

    try:
        date = parse_as_of(as_of)
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    if not folder.is_dir():
        raise _usage_error(f"{folder}: not a directory")
    found = find_config(folder)
    cfg = _load(found.parent if found else folder, config)
    result = collect(folder, cfg)
    if html is not None:
        write_output(html, render_html(result, date), "give --html a writable file on a disk with free space")
    if fmt == StatsFormat.json:
        sys.stdout.write(json.dumps(as_dict(result), indent=2) + "\n")
    else:
        from rich.table import Table  # here: every command imports this module, few print a table

        out.print(f"{result.folder}: {result.documents} post-mortem files; reference: {result.source}", style="bold")
        for mix in result.mixes:
            table = Table(title=f"{mix.title} ({mix.classified} classified post-mortems)", title_justify="left",
                          box=None, pad_edge=False)
            for column, justify in (("category", "left"), ("count", "right"), ("share", "right"),
                                    ("Appendix C", "right"), ("difference", "right")):
                table.add_column(column, justify=justify)  # type: ignore[arg-type]
            for row in mix.rows:
                table.add_row(for_terminal(row.category), str(row.count), _pct(row.share), _pct(row.reference),
                              "–" if row.difference is None else f"{row.difference:+.0f} pts")
            out.print(table)
            if result.unknown.get(mix.name):
                off = ", ".join(f"{name} {n}" for name, n in result.unknown[mix.name].items())
                out.print(f"outside the taxonomy (PM015): {off}")
        if result.unreadable:
            err.print(f"not counted (unreadable): {', '.join(result.unreadable)}")
    if html is not None:
        err.print(f"wrote {html}")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%" if value >= 10 or value == int(value) else f"{value:.1f}%"
