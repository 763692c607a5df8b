"""Scheduled audits: `auditor schedule` (config.py the [schedule] table, service.py APScheduler, runner.py one audit
in a child process, lock.py the directory lock in the store, notify.py the webhook and email)."""
