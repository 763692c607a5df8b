"""After a scheduled run: its summary and the report's link to a Slack-compatible webhook and/or by SMTP email.

A notification that cannot be delivered is logged and reported back; it never fails the run or the scheduler.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("auditor.schedule")


@dataclass
class Outcome:
    """What one scheduled audit came to."""

    name: str  # the directory's configured name
    target: str  # the folder or URL audited
    status: str  # completed | failed | interrupted
    run_id: int | None
    seconds: float
    report: str  # the report's link ("" when the run wrote none)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def report_link(report_dir: Path, report_url: str) -> str:
    """`report_url` (with index.html appended when it names a folder), else the report's file:// URL."""
    if report_url:
        return report_url + "index.html" if report_url.endswith("/") else report_url
    return (report_dir / "index.html").resolve().as_uri()


def subject(outcome: Outcome) -> str:
    if outcome.status != "completed":
        return f"[auditor] {outcome.name}: run {outcome.status}"
    sev = outcome.summary.get("by_severity", {})
    return (f"[auditor] {outcome.name}: {outcome.summary.get('findings', 0)} findings "
            f"({sev.get('error', 0)} error, {sev.get('warning', 0)} warning)")


def message(outcome: Outcome) -> str:
    """The plain-text summary both channels send."""
    run = f"run #{outcome.run_id}" if outcome.run_id is not None else "no run recorded"
    lines = [f"Audit of {outcome.name} ({outcome.target}): {outcome.status}, {run}, {outcome.seconds:.1f} s"]
    s = outcome.summary
    if outcome.status == "completed" and s:
        sev = s.get("by_severity", {})
        lines.append(f"Findings: {s.get('findings', 0)} in {s.get('entries_with_findings', 0)} of "
                     f"{s.get('entries', 0)} entries: {sev.get('error', 0)} error · {sev.get('warning', 0)} warning · "
                     f"{sev.get('info', 0)} info")
        if t := s.get("tickets"):
            lines.append(f"Tickets: {t.get('opened', 0)} opened · {t.get('updated', 0)} updated · "
                         f"{t.get('resolved', 0)} resolved · {t.get('reopened', 0)} reopened")
        if links := s.get("links"):
            verdicts = ", ".join(f"{n} {v}" for v, n in links.get("by_verdict", {}).items() if n) or "none"
            lines.append(f"Links: {links.get('urls', 0)} checked: {verdicts}")
    if outcome.error:
        lines.append(f"Error: {outcome.error}")
    if outcome.report:
        lines.append(f"Report: {outcome.report}")
    return "\n".join(lines)


def send_webhook(url: str, outcome: Outcome, timeout: float) -> None:
    """POST {"text": ...}: what Slack's incoming webhooks read, and Mattermost's, Rocket.Chat's, Discord's /slack."""
    response = httpx.post(url, json={"text": message(outcome)}, timeout=timeout)
    response.raise_for_status()


def send_email(options: dict[str, Any], outcome: Outcome) -> None:
    to = options["smtp_to"]
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients or not options["smtp_from"]:
        raise ValueError("smtp_host is set but smtp_from or smtp_to is empty")
    mail = EmailMessage()
    mail["Subject"] = subject(outcome)
    mail["From"] = str(options["smtp_from"])
    mail["To"] = ", ".join(recipients)
    mail.set_content(message(outcome) + "\n")
    timeout = float(options["notify_timeout"])
    with smtplib.SMTP(str(options["smtp_host"]), int(options["smtp_port"]), timeout=timeout) as smtp:
        if options["smtp_starttls"]:
            smtp.starttls()
        if options["smtp_user"]:
            password = os.environ.get(str(options["smtp_password_env"]), "") if options["smtp_password_env"] else ""
            smtp.login(str(options["smtp_user"]), password)
        smtp.send_message(mail)


def notify(options: dict[str, Any], outcome: Outcome) -> list[str]:
    """Send to every configured channel; returns what failed (also logged), empty when all went out."""
    problems: list[str] = []
    if options.get("webhook_url"):
        try:
            send_webhook(str(options["webhook_url"]), outcome, float(options["notify_timeout"]))
        except httpx.HTTPStatusError as exc:  # its message holds the URL, and a webhook's URL is its secret
            problems.append(f"webhook: the server answered {exc.response.status_code}")
        except (httpx.HTTPError, ValueError) as exc:
            problems.append(f"webhook: {type(exc).__name__}: {exc}")
    if options.get("smtp_host"):
        try:
            send_email(options, outcome)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            problems.append(f"email: {type(exc).__name__}: {exc}")
    for problem in problems:
        log.warning("notification for %s not sent: %s", outcome.name, problem)
    return problems
