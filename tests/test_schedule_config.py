"""The [schedule] table: defaults, audits, cron expressions read as crontab reads them; `schedule --list`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from auditor.config import ConfigError
from auditor.schedule.config import cron_trigger, crontab_weekdays, load_schedule
from tests.helpers import skill, write_tree

ROOT = Path(__file__).resolve().parent.parent
UTC = ZoneInfo("UTC")
THURSDAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def directory(tmp_path: Path, toml: str = "") -> Path:
    return write_tree(tmp_path / "dir", {"auditor.toml": 'name = "demo"\n' + toml, "skills/alpha.md": skill("alpha")})


def test_without_a_schedule_table_the_directory_is_audited_mondays_at_six(tmp_path: Path) -> None:
    root = directory(tmp_path)
    schedule = load_schedule(root)
    (audit,) = schedule.audits
    assert (audit.name, audit.target, audit.job_id) == ("demo", str(root.resolve()), "audit:demo")
    assert audit.db_url == f"sqlite:///{root.resolve() / '.auditor' / 'auditor.db'}"
    assert audit.report_dir == root.resolve() / ".auditor" / "report"
    assert schedule.jobstore_url == audit.db_url
    assert schedule.trigger(audit).get_next_fire_time(None, THURSDAY) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    assert audit.command()[1:5] == ["-m", "auditor", "audit", str(root.resolve())]


def test_audits_list_with_overrides_and_a_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = directory(tmp_path, f"""
[schedule]
cron = "30 5 * * 1-5"
timezone = "Europe/Berlin"
webhook_url = "http://127.0.0.1:9/hook"

[[schedule.audits]]
directory = "."
db = "sqlite:///{tmp_path / 'team.db'}"
offline = true

[[schedule.audits]]
directory = "http://127.0.0.1:8000/"
profile = "{ROOT / 'spiders' / 'example.yml'}"
redis = "redis://127.0.0.1:6379/15"
crawl_workers = 2
cron = "0 7 * * sun"
webhook_url = ""
smtp_host = "127.0.0.1"
""")
    schedule = load_schedule(root)
    folder, site = schedule.audits
    assert folder.db_url == f"sqlite:///{tmp_path / 'team.db'}" == schedule.jobstore_url
    assert "--offline" in folder.command() and folder.options["webhook_url"] == "http://127.0.0.1:9/hook"
    assert site.target == "http://127.0.0.1:8000/" and "--profile" in site.command()
    assert site.command()[-4:] == ["--redis", "redis://127.0.0.1:6379/15", "--crawl-workers", "2"]
    assert "--redis" not in folder.command()
    assert site.options["cron"] == "0 7 * * sun" and site.options["webhook_url"] == "" and site.options["smtp_host"]
    berlin = ZoneInfo("Europe/Berlin")
    assert schedule.trigger(folder).get_next_fire_time(None, THURSDAY) == dt.datetime(2026, 11, 27, 5, 30,
                                                                                      tzinfo=berlin)
    assert schedule.trigger(site).get_next_fire_time(None, THURSDAY) == dt.datetime(2026, 11, 29, 7, 0, tzinfo=berlin)


@pytest.mark.parametrize(("field", "days"), [
    ("1", "mon"), ("0", "sun"), ("7", "sun"), ("1-5", "mon,tue,wed,thu,fri"), ("5-7", "sun,fri,sat"),
    ("*/2", "sun,tue,thu,sat"), ("0,6", "sun,sat"), ("0-7", "*"), ("mon-fri", "mon-fri"), ("*", "*"),
    ("1,sat", "mon,sat"),
])
def test_numeric_weekdays_mean_what_they_mean_in_crontab(field: str, days: str) -> None:
    # APScheduler 3 counts weekdays from Monday = 0; crontab from Sunday = 0.
    assert crontab_weekdays(field) == days


def test_six_fields_put_seconds_first() -> None:
    trigger = cron_trigger("*/15 * * * * *", UTC)
    assert trigger.get_next_fire_time(None, THURSDAY + dt.timedelta(seconds=1)) == THURSDAY + dt.timedelta(seconds=15)
    assert cron_trigger("0 6 * * 1", UTC).get_next_fire_time(None, THURSDAY).weekday() == 0  # a Monday


@pytest.mark.parametrize(("toml", "message"), [
    ('[schedule]\ncron = "0 6 * *"\n', "expected 5 fields"),
    ('[schedule]\ncron = "0 25 * * *"\n', "cron '0 25 * * *' of demo"),
    ('[schedule]\ntimezone = "Mars/Olympus"\n', "not a time zone name"),
    ('[schedule]\nwhen = "monday"\n', "unknown key(s) when in [schedule]"),
    ('[schedule]\njob_table = "jobs; drop"\n', "not a plain table name"),
    ('[[schedule.audits]]\ndirectory = "nowhere"\n', "nowhere: not a directory"),
    ('[[schedule.audits]]\ndirectory = "."\ncolour = "red"\n', "unknown key(s) colour"),
    ('[[schedule.audits]]\ndirectory = "."\n[[schedule.audits]]\ndirectory = "."\n', "two scheduled audits"),
    ('[[schedule.audits]]\ndirectory = "http://127.0.0.1:8000/"\n', "needs --profile"),
    ('[[schedule.audits]]\ndirectory = "."\nredis = "redis://127.0.0.1:6379/0"\n', "`redis` is for a site's URL"),
    ("[schedule]\naudits = []\n", "at least one audit"),
])
def test_a_bad_schedule_is_a_config_error_naming_the_file(tmp_path: Path, toml: str, message: str) -> None:
    root = directory(tmp_path, toml)
    with pytest.raises(ConfigError) as caught:
        load_schedule(root)
    assert str(root / "auditor.toml") in str(caught.value) and message in str(caught.value)


def test_schedule_list_and_a_bad_schedule_on_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from auditor.cli import app
    from auditor.schedule.lock import DirectoryLock
    from auditor.store.db import open_engine

    root = directory(tmp_path, '[schedule]\ncron = "15 4 * * 0"\nwebhook_url = "http://127.0.0.1:9/h"\n')
    engine = open_engine(load_schedule(root).audits[0].db_url)
    DirectoryLock(engine, "demo", holder="elsewhere:7").acquire()
    engine.dispose()
    listed = CliRunner().invoke(app, ["schedule", str(root), "--list"], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert "demo" in listed.stdout and "15 4 * * 0" in listed.stdout and "webhook" in listed.stdout
    assert "held by elsewhere:7" in listed.stdout
    (root / "auditor.toml").write_text('[schedule]\ncron = "sometimes"\n')
    bad = CliRunner().invoke(app, ["schedule", str(root), "--list"], catch_exceptions=False)
    assert bad.exit_code == 2 and "expected 5 fields" in bad.output
