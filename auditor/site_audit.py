"""What `auditor audit URL --profile FILE` needs before the run: the profile, the configuration, where the store
and the report go. A site has no folder of its own, so they live under `.auditor/<name>/` in the working
directory unless `--db` / `AUDITOR_DB` / the `db` setting and `--report-dir` say otherwise."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config import Config, ConfigError, load_config
from auditor.sources.site import SiteSource
from auditor.sources.site_profile import ProfileError, load_profile
from auditor.store.db import resolve_url


def is_site_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


@dataclass
class SitePlan:
    config: Config
    source: SiteSource
    home: Path  # .auditor/<name>/ under the working directory
    db_url: str
    report_dir: Path


def plan_site_audit(url: str, profile_path: Path | None, config_path: Path | None, db: str | None,
                    report_dir: Path | None, scrapy_settings: dict[str, Any] | None = None,
                    redis_url: str | None = None, crawl_workers: int = 1) -> SitePlan:
    """Raises ProfileError or ConfigError (usage errors) when the profile or configuration cannot be used.
    With `redis_url` the crawl is shared over Redis by `crawl_workers` local workers and any that join."""
    if profile_path is None:
        raise ProfileError("auditing a site needs --profile FILE (a site profile, e.g. spiders/example.yml)")
    profile = load_profile(profile_path, url)
    chosen = config_path or profile.config
    if chosen is not None and not chosen.is_file():
        raise ConfigError(f"{chosen}: configuration file not found")
    config = load_config(chosen.parent if chosen else Path.cwd() / ".auditor" / profile.name, chosen)
    if not _names_itself(chosen):
        config.name = profile.name
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", config.name).strip("-.") or "site"
    home = Path.cwd() / ".auditor" / safe
    try:
        db_url = resolve_url(None, db, str(config.settings.get("db") or ""))
    except ValueError:
        db_url = f"sqlite:///{(home / 'auditor.db').resolve()}"
    source = SiteSource(profile, url, settings=dict(scrapy_settings or {}), redis_url=redis_url, store_url=db_url,
                        crawl_workers=crawl_workers)
    return SitePlan(config, source, home, db_url, report_dir or home / "report")


def _names_itself(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        return bool(tomllib.loads(path.read_text(encoding="utf-8")).get("name"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
