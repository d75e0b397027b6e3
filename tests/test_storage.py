"""The schema: migrations build exactly the models, on SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from bot.db import make_engine
from bot.migrations import downgrade, upgrade
from bot.models import Base
from bot.models import youth as youth_models


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_then_upgrade_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert not inspect(engine).has_table("services")
    upgrade(engine)
    assert inspect(engine).has_table("services")


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_personal_data_tables_are_separate_and_cascade_from_youths() -> None:
    """Every table of bot.models.youth is `youths` or hangs off it with ON DELETE CASCADE, and no
    catalogue table points at a youth table."""
    youth_tables = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__ == youth_models.__name__
    }
    assert "youths" in youth_tables
    for table in Base.metadata.sorted_tables:
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if table.name in youth_tables - {"youths"}:
            assert any(
                fk.column.table.name == "youths" and fk.ondelete == "CASCADE" for fk in table.foreign_keys
            ), table.name
        if table.name not in youth_tables:
            assert not targets & youth_tables, f"{table.name} points at personal data"
