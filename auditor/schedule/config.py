"""The `[schedule]` table of auditor.toml: when to audit, which audits, where to send the summary.

```toml
[schedule]
cron = "0 6 * * mon"
timezone = "Europe/Berlin"
webhook_url = "https://hooks.slack.com/services/..."

[[schedule.audits]]
directory = "."                       # a content folder (relative to this file) or a site's URL
[[schedule.audits]]
directory = "https://directory.example/"
profile = "spiders/mysite.yml"
redis = "redis://redis.internal:6379/0"  # optional: share the crawl (see `auditor crawl-worker`)
cron = "30 6 * * mon"                 # per-audit overrides of the notification and timing keys
```

Every default is in `auditor.settings.SCHEDULE_DEFAULTS`.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from auditor.config import CONFIG_NAME, ConfigError, load_config, read_toml
from auditor.settings import SCHEDULE_DEFAULTS
from auditor.store.db import resolve_url

# Keys an audit of `[[schedule.audits]]` may set for itself, besides what names the audit.
PER_AUDIT = ("cron", "misfire_grace_seconds", "report_url", "webhook_url", "smtp_host", "smtp_port", "smtp_from",
             "smtp_to", "smtp_user", "smtp_password_env", "smtp_starttls")
AUDIT_KEYS = ("directory", "profile", "config", "db", "report_dir", "offline", "allow_private_addresses", "redis",
              "crawl_workers")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass
class AuditSpec:
    """One scheduled audit, resolved: what the child process runs and where its results land."""

    target: str  # a content folder (absolute path) or a site's URL
    name: str  # the directory's configured name: the runs' `directory` and the lock's key
    db_url: str  # its store: runs, tickets and the lock
    report_dir: Path
    options: dict[str, Any]  # the schedule's keys with this audit's overrides
    config: Path | None = None
    profile: Path | None = None
    offline: bool = False
    allow_private_addresses: bool = False
    redis: str | None = None  # a site's crawl shared over this Redis
    crawl_workers: int = 1

    @property
    def job_id(self) -> str:
        return f"audit:{self.name}"

    def command(self) -> list[str]:
        """`auditor audit` in a fresh interpreter (Scrapy's reactor cannot restart in one process). The store is
        passed as AUDITOR_DB, so no password shows in a process list."""
        argv = [sys.executable, "-m", "auditor", "audit", self.target, "--report-dir", str(self.report_dir)]
        if self.config is not None:
            argv += ["--config", str(self.config)]
        if self.profile is not None:
            argv += ["--profile", str(self.profile)]
        if self.offline:
            argv.append("--offline")
        if self.allow_private_addresses:
            argv.append("--allow-private-addresses")
        if self.redis:
            argv += ["--redis", self.redis, "--crawl-workers", str(self.crawl_workers)]
        return argv


@dataclass
class Schedule:
    options: dict[str, Any]
    audits: list[AuditSpec]
    jobstore_url: str
    source: Path | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def trigger(self, audit: AuditSpec) -> CronTrigger:
        return cron_trigger(str(audit.options["cron"]), self.timezone)


def load_schedule(directory: Path, config_path: Path | None = None) -> Schedule:
    """The schedule in `config_path` (else `directory`/auditor.toml). Without `[[schedule.audits]]` the one audit
    is `directory` itself (with `config_path` as its configuration). Raises ConfigError naming the file."""
    path = config_path or directory / CONFIG_NAME
    data: dict[str, Any] = {}
    if config_path is not None or path.is_file():
        data = read_toml(path)
    table = dict(data.get("schedule", {}))
    listed = table.pop("audits", None)
    unknown = set(table) - set(SCHEDULE_DEFAULTS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [schedule]")
    options = copy.deepcopy(SCHEDULE_DEFAULTS) | table
    try:
        zone = ZoneInfo(str(options["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}: [schedule] timezone {options['timezone']!r} is not a time zone name") from None
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", str(options["job_table"])):
        raise ConfigError(f"{path}: [schedule] job_table {options['job_table']!r} is not a plain table name")
    base = path.parent if path.is_file() else directory
    if listed is None:
        audits = [_resolve(path, base, {"directory": str(directory.resolve()),
                                        **({"config": str(config_path.resolve())} if config_path else {})}, options)]
    elif not isinstance(listed, list) or not listed:
        raise ConfigError(f"{path}: [[schedule.audits]] must list at least one audit")
    else:
        audits = [_resolve(path, base, dict(item), options) for item in listed]
    seen: set[str] = set()
    for audit in audits:
        if audit.name in seen:
            raise ConfigError(f"{path}: two scheduled audits are named {audit.name!r}; give one directory its own "
                              f"`name` in its auditor.toml")
        seen.add(audit.name)
        try:
            cron_trigger(str(audit.options["cron"]), zone)
        except ValueError as exc:
            raise ConfigError(f"{path}: cron {audit.options['cron']!r} of {audit.name}: {exc}") from None
    jobstore = str(options["db"]) or audits[0].db_url
    return Schedule(options, audits, jobstore, path if path.is_file() else None, zone)


def _resolve(path: Path, base: Path, item: dict[str, Any], options: dict[str, Any]) -> AuditSpec:
    from auditor.site_audit import is_site_url, plan_site_audit
    from auditor.sources.site_profile import ProfileError

    unknown = set(item) - set(AUDIT_KEYS) - set(PER_AUDIT)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} in [[schedule.audits]]")
    if not item.get("directory"):
        raise ConfigError(f"{path}: each [[schedule.audits]] needs `directory` (a folder or a site's URL)")
    target = str(item["directory"])

    def local(key: str) -> Path | None:
        return (base / str(item[key])).resolve() if item.get(key) else None

    merged = options | {key: item[key] for key in PER_AUDIT if key in item}
    config, profile, report_dir = local("config"), local("profile"), local("report_dir")
    flags = {"offline": bool(item.get("offline")), "allow_private_addresses": bool(item.get("allow_private_addresses"))}
    if is_site_url(target):
        try:
            plan = plan_site_audit(target, profile, config, item.get("db"), report_dir)
        except (ProfileError, ConfigError) as exc:
            raise ConfigError(f"{path}: audit of {target}: {exc}") from None
        workers = item.get("crawl_workers", 1)
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ConfigError(f"{path}: audit of {target}: crawl_workers must be a whole number of 1 or more")
        return AuditSpec(target, plan.config.name, plan.db_url, plan.report_dir.resolve(), merged, config, profile,
                         **flags, redis=str(item["redis"]) if item.get("redis") else None, crawl_workers=workers)
    root = (base / target).resolve()
    if not root.is_dir():
        raise ConfigError(f"{path}: scheduled audit {target}: not a directory")
    for key in ("profile", "redis", "crawl_workers"):
        if item.get(key) is not None:
            raise ConfigError(f"{path}: audit of {target}: `{key}` is for a site's URL")
    cfg = load_config(root, config)
    db_url = resolve_url(root, item.get("db"), str(cfg.settings["db"]))
    report = report_dir or (root / str(cfg.settings["report_dir"])).resolve()
    return AuditSpec(str(root), cfg.name, db_url, report, merged, config, None, **flags)


def safe_url(url: str) -> str:
    """A store URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@')[-1]}" if "@" in rest else url


def cron_trigger(expr: str, zone: ZoneInfo) -> CronTrigger:
    """A crontab expression as APScheduler 3 reads it. Five fields as in crontab (a sixth in front is seconds).
    APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7): numeric weekdays are turned into
    names here, so `0 6 * * 1` means Monday as it does in crontab."""
    fields = expr.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"expected 5 fields (minute hour day month weekday), or 6 with seconds first; got "
                         f"{len(fields)}")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=crontab_weekdays(weekday), timezone=zone)


def crontab_weekdays(field_text: str) -> str:
    """crontab's numeric weekdays (0-7, Sunday = 0 or 7, with ranges and steps) as day names; names pass through."""
    if not re.search(r"\d", field_text):
        return field_text  # names, ranges of names, or *: APScheduler reads those as crontab does
    days: set[int] = set()
    for part in field_text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"weekday step {part!r} must be at least 1")
        if span == "*":
            first, last = 0, 6
        elif re.fullmatch(r"\d+-\d+", span):
            first, last = (int(n) for n in span.split("-"))
        elif re.fullmatch(r"\d+", span):
            first = last = int(span)
            if step_text:
                last = 7
        elif not step_text and not re.search(r"\d", span):
            days.update(_name_days(span))
            continue
        else:
            raise ValueError(f"weekday {part!r}: use numbers (0-7, Sunday = 0 or 7) or names (mon-fri), not both")
        if not 0 <= first <= last <= 7:
            raise ValueError(f"weekday {part!r} is outside 0-7")
        days.update(n % 7 for n in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(DAY_NAMES[n] for n in sorted(days))


def _name_days(span: str) -> set[int]:
    names = span.lower().split("-")
    if not all(n in DAY_NAMES for n in names) or len(names) > 2:
        raise ValueError(f"weekday {span!r} is not a day name (sun, mon, ... sat) or a range of them")
    first, last = (DAY_NAMES.index(n) for n in (names[0], names[-1]))
    return set(range(first, last + 1)) if first <= last else set(range(first, 7)) | set(range(0, last + 1))
