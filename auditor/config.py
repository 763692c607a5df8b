"""Per-directory configuration: `auditor.toml` at the directory root, or `--config FILE`."""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor import safe_yaml
from auditor.models import Severity
from auditor.settings import DEFAULTS
from auditor.settings_check import check_file
from auditor.shipped import shipped

CONFIG_NAME = "auditor.toml"
# libyaml's loader when PyYAML was built with it: the same values, read about ten times faster (every command
# reads the rule pack before it starts).
PackLoader = safe_yaml.FastSafeLoader
RULES_DIR = shipped("rules")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file."""


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read_pack_file(path: Path) -> Any:
    try:
        return safe_yaml.load(path.read_text(encoding="utf-8"), PackLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{line}: rule pack is not valid YAML: {exc}") from None


def load_rule_pack(rules_dir: Path = RULES_DIR) -> dict[str, Any]:
    """The YAML data rules read, one top-level key per file (`rules/kinds.yml` -> `kinds`).

    A folder is a collection, one key per file: `rules/facts/sre-workbook.yml` -> `facts.sre-workbook`.
    """
    pack: dict[str, Any] = {}
    for path in sorted(rules_dir.glob("*.yml")):
        pack[path.stem] = _read_pack_file(path)
    for folder in sorted(p for p in rules_dir.iterdir() if p.is_dir()):
        collection = pack.setdefault(folder.name, {})
        for path in sorted(folder.glob("*.yml")):
            collection[path.stem] = _read_pack_file(path)
    return pack


@dataclass
class Config:
    name: str
    settings: dict[str, Any]
    pack: dict[str, Any]
    disabled: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)
    # Rules (or families) reported per entry even when they fire on a directory's convention.
    enforced: set[str] = field(default_factory=set)
    severities: dict[str, Severity] = field(default_factory=dict)
    source: Path | None = None
    # Kinds whose required fields and sections were inferred from the directory (auditor/checks/inferred.py).
    inferred: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.pack.get("kinds", {}).get("kinds", {}).keys())

    def kind_data(self, kind: str | None) -> dict[str, Any]:
        return self.pack.get("kinds", {}).get("kinds", {}).get(kind or "", {}) or {}

    def review_interval(self, kind: str | None) -> int | None:
        """Days between reviews for a kind; entries with no kind get `default_review_interval_days`."""
        if kind:
            value = self.kind_data(kind).get("review_interval_days")
        else:
            value = self.pack.get("kinds", {}).get("default_review_interval_days")
        return int(value) if value else None


def _names_rules(data: dict[str, Any]) -> bool:
    rules = data.get("rules")
    return isinstance(rules, dict) and bool(rules.get("disable") or rules.get("enable"))


def _rule_codes() -> set[str]:
    """Every rule code, and every family prefix (`STL`), as `[rules] disable` accepts them."""
    from auditor.checks.engine import all_rules

    codes = {rule.code for rule in all_rules()}
    return codes | {"".join(ch for ch in code if ch.isalpha()) for code in codes}


def find_config(start: Path) -> Path | None:
    """The nearest auditor.toml at or above start."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else list(start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def find_root(path: Path) -> Path:
    """The directory a checked path belongs to: the nearest folder with auditor.toml, else the top level of the git
    work tree it is in, else the path's own folder."""
    found = find_config(path)
    if found is not None:
        return found.parent
    folder = path.resolve() if path.is_dir() else path.resolve().parent
    return git_top_level(folder) or folder


def git_top_level(folder: Path) -> Path | None:
    import subprocess  # only `check` without auditor.toml gets here

    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                              text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):  # no git on the machine
        return None
    top = done.stdout.strip()
    return Path(top).resolve() if done.returncode == 0 and top else None


def read_toml(path: Path) -> dict[str, Any]:
    """An auditor.toml's tables; a ConfigError naming the file when it is missing, unreadable, not UTF-8 or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None


def load_config(root: Path, config_path: Path | None = None) -> Config:
    """Defaults, then the rule pack, then the directory's auditor.toml on top."""
    path = config_path or (root / CONFIG_NAME if (root / CONFIG_NAME).is_file() else None)
    data: dict[str, Any] = {}
    if path is not None:
        data = read_toml(Path(path))
    problems = check_file(data, path, _rule_codes() if _names_rules(data) else None)
    if problems:
        raise ConfigError("\n".join(problems))
    settings = deep_merge(DEFAULTS, data.get("settings", {}))
    if "exclude" in data:
        settings["exclude"] = list(settings["exclude"]) + list(data["exclude"])
    unknown = set(data.get("settings", {})) - set(DEFAULTS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))} in [settings]")
    pack = deep_merge(load_rule_pack(), data.get("pack", {}))
    rules = data.get("rules", {})
    severities: dict[str, Severity] = {}
    for code, value in rules.get("severity", {}).items():
        try:
            severities[code.upper()] = Severity.parse(value)
        except ValueError as exc:
            raise ConfigError(f"{path}: [rules.severity] {code}: {exc}") from None
    return Config(
        name=str(data.get("name") or root.resolve().name),
        settings=settings,
        pack=pack,
        disabled={c.upper() for c in rules.get("disable", [])},
        enabled={c.upper() for c in rules.get("enable", [])},
        enforced={c.upper() for c in rules.get("enforce", [])},
        severities=severities,
        source=Path(path) if path else None,
    )
