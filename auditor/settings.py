"""Every setting the auditor reads, with its default, in one place.

A directory overrides these in the `[settings]` table of its `auditor.toml`; the command line
overrides both where it has an option. The docs' settings reference (docs/reference/settings.md) is generated from
this module, each key with its default and the comment above it, so a setting cannot go undocumented.
"""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Store URL. Empty means a SQLite file at `<directory>/.auditor/auditor.db`.
    # `--db URL` or the AUDITOR_DB environment variable set it too (postgresql+psycopg://...).
    "db": "",
    # Where `auditor audit` writes the HTML report and ticket export. Relative paths are
    # resolved against the audited directory.
    "report_dir": ".auditor/report",
    # The auditor's documentation site: the site `make docs` builds from docs/ (MkDocs; mkdocs.yml's `site_url` is
    # this address, and .readthedocs.yaml publishes it there). Point it at your own copy of the site when you serve
    # one (`https://docs.example.org/auditor`; a build on disk also needs `rule_docs_url` to name index.html).
    "docs_url": "https://auditor.readthedocs.io/en/latest",
    # Where each rule's page is on that site ({base}: docs_url, {code}: the rule's code, {name}: its readable name;
    # the docs build one page per rule at rules/<CODE>/). Every finding in text, JSON, SARIF and GitHub output
    # links its rule's page; empty: no link.
    "rule_docs_url": "{base}/rules/{code}/",
    # The `url` of each ticket in the CSV and JSON exports: {key} is the ticket's external key, whose entry page in
    # the report is `entries/{key}.html` (e.g. "https://reports.example.org/directory/entries/{key}.html");
    # empty: that page's path inside the report folder.
    "ticket_url": "",
    # `auditor check` and `auditor audit` exit 1 when a finding at or above this severity exists.
    "fail_on": "error",
    # An entry gets a refresh ticket only when one of its findings is at least this severe;
    # findings below it still appear in the ticket once one is open, and in the report.
    "ticket_min_severity": "warning",
    # Days until a ticket is due, by priority.
    "due_days": {"urgent": 3, "high": 7, "normal": 30, "low": 90},
    # An entry whose `reviewed` date is older than this many times its kind's review interval
    # has its ticket priority raised one step.
    "stale_factor": 2.0,
    # An entry whose staleness score (0-100, see rules/staleness_score.yml) is at least this has its
    # ticket priority raised one step, like a long-unreviewed one.
    "stale_score": 80,
    # Processes that check the entries of a large run (0: one per CPU; 1: no extra process): every rule's
    # `prepare()` runs first in the main process, then the per-entry checks are shared out to forked workers.
    "workers": 0,
    # Below this many entries the checks run in the main process: starting workers costs more than it saves.
    "parallel_min_entries": 2000,
    # File names (or paths relative to the directory) that are never read as entries.
    "exclude": ["README.md", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE*"],
    # The most bytes read of one file (an entry, a twin, a post-mortem): the rest is not read and STR001 says so.
    "max_entry_bytes": 1_000_000,
    # The most seconds one rule may spend on one entry: a rule still running then is stopped there, and STR001 on
    # the entry names the rule (0: no limit). Rules take milliseconds on an ordinary entry.
    "rule_time_budget": 10.0,
    # One convention, one finding (auditor/checks/conventions.py): a rule firing the same way on more than this
    # share of the entries of a kind, and on at least `convention_min_entries` entries, is reported once for the
    # directory instead of on each entry (unless `[rules] enforce` names it).
    "convention_share": 0.5,
    # ... and at least this many entries: small directories keep their per-entry findings.
    "convention_min_entries": 20,
    # A directory without auditor.toml whose entries of a kind mostly fail rules/kinds.yml (and that has at least
    # `convention_min_entries` of them) is held to the fields and sections `infer_share` of its own entries carry
    # (`infer_share` is also the share `auditor init` writes requirements from).
    "infer_requirements": True,
    "infer_share": 0.8,
    # --- when entries last changed (auditor/entry_dates.py, auditor/sources/git_dates.py) ---
    # Git history as evidence of an entry's last change: auto (a date the entry states, `updated` or an alias,
    # wins; git fills in the rest), prefer (git wins; the stated date where git has none), off (stated dates only).
    "git_dates": "auto",
    # A commit that changes more than this share of the directory's entry files (or deletes more than this share
    # of a list file's lines), and at least `git_mass_commit_min` of them, is a mass change (a reformat, a rename,
    # a regenerated file) that dating looks past.
    "git_mass_commit_share": 0.5,
    "git_mass_commit_min": 10,
    # Entries with no `reviewed` date whose last change is older than their kind's interval (STL001): report (a
    # finding each; one for the directory when most of a kind are so) or summary (counted in the run summary only:
    # a directory that keeps no review dates; `auditor init` writes this for one). Reviewed entries are reported
    # either way.
    "unreviewed_findings": "report",
    # --- directory formats (auditor/sources/: awesome.py, skills.py, yaml_pairs.py, registry_json.py, docs_pages.py,
    # plugins.py; detection in detect.py) ---
    # How the directory keeps its entries (`--input-format`): auto (detected from the files), folder (Markdown with
    # front matter, the native format), or a comma-separated mix of awesome, skills, yaml-pairs, registry-json,
    # plugins, docs-pages.
    "input_format": "auto",
    # Per format, which key of a record (dotted for nested keys) fills which field of an entry: title, summary,
    # updated, reviewed, published, owner, kind, id, category, tags, related, links.<name>. A key not listed is kept
    # in the entry's data as read; an entry field no key fills stays empty. The first key listed for a field wins.
    "field_map": {
        "awesome": {"name": "title", "description": "summary", "url": "links.homepage"},
        "skills": {"name": "title", "description": "summary", "metadata.updated": "updated",
                   "metadata.owner": "owner", "category": "category"},
        "yaml-pairs": {"name": "title", "description": "summary", "source_url": "links.repo",
                       "updated_at": "updated", "category": "category", "tags": "tags", "website": "links.homepage"},
        "registry-json": {"name": "id", "title": "title", "description": "summary", "repository.url": "links.repo",
                          "websiteUrl": "links.homepage", "version_detail.release_date": "updated",
                          "_meta.io.modelcontextprotocol.registry/official.updatedAt": "updated",
                          "_meta.io.modelcontextprotocol.registry/official.publishedAt": "published"},
        "plugins": {"name": "title", "description": "summary", "homepage": "links.homepage",
                    "repository": "links.repo", "category": "category"},
        "docs-pages": {"title": "title", "name": "title", "description": "summary", "lastUpdated": "updated",
                       "updated": "updated", "date": "published", "category": "category", "tags": "tags",
                       "owner": "owner"},
    },
    # The kind each format's entries get when a record names none (empty: no kind, so no kind's required
    # fields, sections and review interval apply; such entries are due for review every
    # `default_review_interval_days` of rules/kinds.yml).
    "format_kinds": {"awesome": "", "skills": "skill", "yaml-pairs": "mcp", "registry-json": "mcp", "plugins": "",
                     "docs-pages": ""},
    # Rules about the content-folder format that do not apply to entries read in another format: its required
    # fields and sections (STR003, STR008, STR011), `related` ids (XRF004) and its link resolution (LNK004, which
    # XRF005 replaces with the format's own: site routes, twin files).
    "format_rules_off": ["STR003", "STR008", "STR011", "XRF004", "LNK004"],
    # Files written for a model, not for readers (agents, instructions, prompts, chat modes, skill bodies), as
    # file names or paths relative to the directory (globs): `prompt_rules_off` do not judge them, and template
    # slots in them (`ALT-XXX`, `{project_title}`, `[Brief description]`: `prompt_slots` in rules/placeholders.yml)
    # are not placeholders (STR012).
    "prompt_files": ["agents/*", "*/agents/*", "instructions/*", "*/instructions/*", "prompts/*", "*/prompts/*",
                     "chatmodes/*", "*/chatmodes/*", "*.agent.md", "*.instructions.md", "*.prompt.md",
                     "*.chatmode.md", "SKILL.md"],
    # ... hype, sentence length and readability are about prose for readers, and an empty heading in a prompt is a
    # skeleton the model fills.
    "prompt_rules_off": ["PRS004", "PRS006", "PRS007", "STR009"],
    # The directory's declared category list (STR015), relative to the directory: a YAML or JSON list of names or
    # of {id, name} records. Empty: `categories.yml` (or .yaml, .json) at the root when there is one.
    "categories_file": "",
    # How an entry's category must match the declared one (STR015): exact, or loose (case, `&`, `and`,
    # punctuation and spacing ignored: `Cloud Devops Mcp Servers` is `Cloud & DevOps MCP Servers`).
    "category_match": "exact",
    # The time zone the directory's timestamps without a zone are written in (STR017): an IANA name
    # (`Europe/Berlin`) or `UTC`. With it, STR017's fix is certain (`auditor fix` writes that zone's offset for the
    # date); empty: the zone is unknown and the fix is left to an editor.
    "timestamp_zone": "",
    # Manifest references (a plugin's `agents: [./agents/x.md]`) that name a file by a shorter name than it has:
    # per folder, the suffixes tried in place of `.md` (agents/x.md -> agents/x.agent.md).
    "reference_suffixes": {"agents": [".agent.md"], "instructions": [".instructions.md"],
                           "prompts": [".prompt.md"], "chatmodes": [".chatmode.md"]},
    # Folders that a static site turns into pages by route (Astro Starlight, Docusaurus ...): under them,
    # `docs/guide/intro.md` is served at `/guide/intro/`, and links such as `../setup/` or `/guide/setup/`
    # resolve against those routes.
    "site_content_roots": ["src/content/docs", "src/pages", "docs"],
    # Never ask package registries (`--offline` sets it too): package versions are reported
    # "unverified" (info) and open no ticket. Web links are not fetched either (internal links are still checked).
    "offline": False,
    # Base URLs of the package registries the CAP rules ask (a mirror, or a test server).
    "registry_urls": {"pypi": "https://pypi.org", "npm": "https://registry.npmjs.org"},
    # Seconds to wait for one registry answer before calling the package "unverified".
    "registry_timeout": 5.0,
    # How long a registry answer is reused from the store before it is fetched again.
    "registry_cache_ttl_hours": 24,
    # At most this many registry requests at once.
    "registry_concurrency": 8,
    # Folders (or single files) of Vale style rules (`*.yml`) that the PRS008 rule runs over every
    # entry's prose, relative to the directory's auditor.toml; e.g. ["styles/House"].
    "prose_styles": [],
    # --- incidents (`auditor incident validate`, rules PM001-PM017) ---
    # The entry directory whose Incident response entry (`policy.entry` in rules/incident.yml) sets the
    # policy post-mortems are held to, relative to this auditor.toml; empty: the folder of this auditor.toml.
    "incident_directory": "",
    # --- links (auditor/links/, rules LNK001-LNK007; `--offline` skips every web request) ---
    # At most this many link requests at once, and at most `link_per_host` to any one host.
    "link_concurrency": 64,
    "link_per_host": 4,
    # Worker processes sharing a run's link checks, each owning whole hosts (their per-host limit and 429 pace
    # in one process; `link_concurrency` divided among them): 0 means one per CPU, 1 checks in this process.
    # Runs below `link_parallel_min_urls` URLs, or on a single host, are checked in this process.
    "link_workers": 0,
    "link_parallel_min_urls": 200,
    # Seconds to wait for a connection or the next piece of an answer (a whole answer gets twice this).
    "link_timeout": 10.0,
    # Retries after a connection error, a timeout, a 5xx or a 429; the first waits about `link_backoff`
    # seconds, each next one twice as long, with jitter.
    "link_retries": 2,
    "link_backoff": 1.0,
    # The longest Retry-After honoured, in seconds; a site asking for longer leaves the link "unverified".
    "link_retry_after_cap": 30.0,
    # A host that answers 429 is held for its Retry-After, then paced for the rest of the run at 90% of the rate
    # it refused (halved again on every further 429); its requests are never closer than this many seconds.
    "link_slow_down": 0.0,
    # Redirects followed before a chain counts as broken.
    "link_max_redirects": 10,
    # How much of a page is read (KB) to judge soft 404s, parked domains, challenges and #fragments.
    "link_max_body_kb": 512,
    # The User-Agent of link requests (empty: the auditor's own).
    "link_user_agent": "",
    # Extra request headers by host (a host also covers its subdomains); $VARS are expanded from the
    # environment, e.g. {"api.github.com": {"Authorization": "Bearer $GITHUB_TOKEN"}}.
    "link_headers": {},
    # Regular expressions of URLs never checked (and never reported).
    "link_skip": [],
    # HTTP statuses that count as alive besides 2xx (e.g. [403] for a site that refuses robots).
    "link_accept_status": [],
    # Let the link checker connect to private, loopback, link-local and metadata addresses
    # (`--allow-private-addresses`): for intranet directories, tests and benchmarks.
    "allow_private_addresses": False,
    # A link seen alive before becomes a "broken" finding only after failing on checks this many hours apart.
    "link_fail_after_hours": 24,
    # How long a result is reused before the URL is fetched again, in hours, by verdict.
    "link_cache_ttl_hours": {"alive": 72, "redirected": 72, "fragment-missing": 24, "blocked": 24,
                             "broken": 0, "unverified": 0},
    # When more than this share of hosts (and at least 3) fail before HTTP (DNS, routes, connect timeouts),
    # the run says the network is unavailable, marks those links unverified and opens no link tickets.
    "link_network_down_ratio": 0.5,
    # Well-known hosts (host:port) the checker resolves and connects to, once per run and only when a link failed
    # before HTTP: when none answers, the network is unavailable and no such link counts as broken (empty: never).
    "link_canary_hosts": ["github.com:443", "pypi.org:443", "www.wikipedia.org:443"],
    # The Wayback Machine availability API asked for archived copies of dead pages (empty: never ask).
    "link_wayback_url": "https://archive.org",
    # Addresses of the directory's own site: links under them are checked against the directory, offline.
    "link_site_urls": [],
}

SEVERITY_NAMES = ("info", "warning", "error")
PRIORITIES = ("low", "normal", "high", "urgent")

# Scheduled audits (`auditor schedule`): the `[schedule]` table of the auditor.toml the scheduler reads, not
# `[settings]`. An audit in `[[schedule.audits]]` may override the keys marked (per audit). Docs: docs/scheduling.md.
SCHEDULE_DEFAULTS: dict[str, object] = {
    # (per audit) When to audit: crontab's five fields, minute hour day-of-month month day-of-week (0 or 7 and
    # sun are Sunday, as in crontab); six fields put seconds first. Default: every Monday at 06:00.
    "cron": "0 6 * * mon",
    # The time zone the cron expression is read in (an IANA name such as "Europe/Berlin").
    "timezone": "UTC",
    # (per audit) A run the scheduler could not start on time (it was down, the machine slept) still starts when
    # it is at most this many seconds late; later ones are skipped until the next time.
    "misfire_grace_seconds": 3600,
    # Runs missed while the scheduler was down are merged into one run instead of run one after another.
    "coalesce": True,
    # The store holding the scheduler's jobs; empty: the first audit's store.
    "db": "",
    # The scheduler's job table in that store. APScheduler 3 cannot share one between schedulers: a second
    # machine scheduling audits into the same store names its own (the directory lock keeps their audits apart).
    "job_table": "apscheduler_jobs",
    # Seconds a directory's lock lasts without a heartbeat; its holder renews it every third of that, so a
    # crashed scheduler blocks the directory for at most this long.
    "lock_lease_seconds": 300,
    # On SIGTERM (or Ctrl-C) the running audit is asked to stop and record itself interrupted; after this many
    # seconds it is killed and the scheduler marks its run interrupted itself.
    "stop_timeout_seconds": 60,
    # (per audit) The address the report is served at, put in notifications as its link (the report folder's
    # index.html is appended when this ends with "/"); empty: the report's file:// URL.
    "report_url": "",
    # (per audit) A Slack-compatible incoming webhook that gets each run's summary ({"text": ...}); empty: none.
    "webhook_url": "",
    # (per audit) Email the summary through this SMTP server (empty host: no email), from and to these addresses.
    "smtp_host": "",
    "smtp_port": 25,
    "smtp_from": "",
    "smtp_to": [],
    # (per audit) SMTP login, with the password read from the environment variable named here (never the file),
    # and STARTTLS before it.
    "smtp_user": "",
    "smtp_password_env": "",
    "smtp_starttls": False,
    # Seconds to wait for the webhook or the SMTP server before the notification counts as failed (the run does not).
    "notify_timeout": 10.0,
}
