"""Alembic environment: the auditor passes its own connection in `config.attributes`."""

from alembic import context
from sqlalchemy import create_engine

from auditor.store.models import Base

config = context.config
connection = config.attributes.get("connection")
render_as_batch = True  # SQLite can only change tables by copying them


def _run(conn) -> None:  # noqa: ANN001
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=render_as_batch)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # `alembic` on the command line, with -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as conn:
        _run(conn)
