"""The registry cache in the store: one row per (registry, base URL, package), replaced when refetched."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from auditor.checks.registry import CacheKey
from auditor.store.models import RegistryCacheRow


class StoreCache:
    """`Cache` for `RegistryClient`, over the run's store. Each call is its own short transaction, apart from
    the run's results: a cached answer is about the registry, not about the run."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    def get_many(self, keys: list[CacheKey]) -> dict[CacheKey, tuple[dict[str, Any], dt.datetime]]:
        found: dict[CacheKey, tuple[dict[str, Any], dt.datetime]] = {}
        with self.sessions() as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                columns = tuple_(RegistryCacheRow.registry_name, RegistryCacheRow.base_url, RegistryCacheRow.name)
                rows = session.scalars(select(RegistryCacheRow).where(columns.in_(chunk)))
                for row in rows:
                    key = (row.registry_name, row.base_url, row.name)
                    found[key] = (dict(row.document or {}), row.fetched_at)
        return found

    def state(self) -> list[tuple[Any, ...]]:
        """(registry, base URL, package, status, fetched_at) of every answer kept: `cache_state` digests them."""
        columns = (RegistryCacheRow.registry_name, RegistryCacheRow.base_url, RegistryCacheRow.name,
                   RegistryCacheRow.status, RegistryCacheRow.fetched_at)
        with self.sessions() as session:
            return [(registry, base, name, status, str(fetched_at))
                    for registry, base, name, status, fetched_at in session.execute(select(*columns))]

    def put_many(self, rows: list[tuple[CacheKey, dict[str, Any], dt.datetime]]) -> None:
        for (registry, base_url, name), document, fetched_at in rows:
            for _attempt in range(2):  # a concurrent run may insert the same package first: then update it
                with self.sessions() as session:
                    row = session.scalars(select(RegistryCacheRow).filter_by(
                        registry_name=registry, base_url=base_url, name=name)).one_or_none()
                    if row is None:
                        row = RegistryCacheRow(registry_name=registry, base_url=base_url, name=name)
                        session.add(row)
                    row.status = str(document.get("status", "ok"))
                    row.document = document
                    row.fetched_at = fetched_at
                    try:
                        session.commit()
                    except IntegrityError:
                        session.rollback()
                        continue
                break
