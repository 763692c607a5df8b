"""Notifications after a scheduled run, delivered to a webhook receiver and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from auditor.schedule.notify import Outcome, message, notify, report_link
from auditor.settings import SCHEDULE_DEFAULTS
from tests.schedule_servers import smtp_server, webhook_server

SUMMARY = {"entries": 30, "entries_with_findings": 27, "findings": 79,
           "by_severity": {"error": 4, "warning": 23, "info": 52},
           "tickets": {"opened": 18, "updated": 0, "resolved": 0, "reopened": 0}}


def options(**overrides: Any) -> dict[str, Any]:
    return copy.deepcopy(SCHEDULE_DEFAULTS) | {"notify_timeout": 5.0} | overrides


def completed() -> Outcome:
    return Outcome("example-directory", "/srv/directory", "completed", 7, 12.34,
                   "https://reports.example/directory/index.html", SUMMARY)


def test_webhook_and_email_carry_the_summary_and_the_report_link() -> None:
    with webhook_server() as (url, hooks), smtp_server() as (port, mail):
        problems = notify(options(webhook_url=url, smtp_host="127.0.0.1", smtp_port=port,
                                  smtp_from="auditor@example.org", smtp_to=["maintainers@example.org"]), completed())
    assert problems == []
    (hook,) = hooks.items
    assert hook["type"] == "application/json" and set(hook["json"]) == {"text"}
    text = hook["json"]["text"]
    assert "example-directory" in text and "run #7" in text and "completed" in text
    assert "79 in 27 of 30 entries: 4 error · 23 warning · 52 info" in text
    assert "18 opened" in text and "Report: https://reports.example/directory/index.html" in text
    (letter,) = mail.items
    assert letter["from"] == "auditor@example.org" and letter["to"] == ["maintainers@example.org"]
    assert "Subject: [auditor] example-directory: 79 findings (4 error, 23 warning)" in letter["data"]
    assert "https://reports.example/directory/index.html" in letter["data"]


def test_an_interrupted_run_says_so() -> None:
    outcome = Outcome("example-directory", "/srv/directory", "interrupted", 8, 3.0, "", {},
                      "KeyboardInterrupt: ")
    text = message(outcome)
    assert "interrupted, run #8" in text and "Error: KeyboardInterrupt" in text and "Report" not in text


def test_undeliverable_notifications_are_reported_not_raised() -> None:
    with smtp_server() as (port, _mail):
        pass  # the server is gone after this: its port refuses
    with webhook_server(status=500) as (url, hooks):
        problems = notify(options(webhook_url=url, smtp_host="127.0.0.1", smtp_port=port,
                                  smtp_from="a@example.org", smtp_to="b@example.org"), completed())
    assert len(hooks.items) == 1
    assert problems[0] == "webhook: the server answered 500"  # never the webhook's URL: it is its secret
    assert problems[1].startswith("email: ConnectionRefusedError")
    assert all("SECRET" not in p for p in problems)


def test_report_link(tmp_path: Path) -> None:
    assert report_link(tmp_path, "") == (tmp_path / "index.html").as_uri()
    assert report_link(tmp_path, "https://reports.example/d/") == "https://reports.example/d/index.html"
    assert report_link(tmp_path, "https://reports.example/d/latest.html") == "https://reports.example/d/latest.html"
