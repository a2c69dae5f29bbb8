"""Alembic environment: the metadata of every package's models, online migrations only."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from core.models import metadata

cfg = context.config


def run() -> None:
    engine = engine_from_config(cfg.get_section(cfg.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


run()
