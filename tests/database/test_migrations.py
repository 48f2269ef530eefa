"""A database built by the migrations has the schema the models describe: a model changed without a
revision (or a revision that does not match its model) would leave upgraded databases behind the
new ones, which are created from the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine
from sqlmodel import SQLModel

from benchmarks.postgres_server import create_database
from database.versions import INDEXED, Migrations, upgrade_to_head
from relayer.models import RelayerModel
from relayer.store import MIGRATIONS as RELAYER_MIGRATIONS

SCHEMAS = {"indexer": (INDEXED, SQLModel.metadata), "relayer": (RELAYER_MIGRATIONS, RelayerModel.metadata)}


def _differences(url: str, migrations: Migrations, metadata: MetaData) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            upgrade_to_head(connection, migrations)
            context = MigrationContext.configure(connection, opts={"version_table": migrations.version_table})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_migrations_build_the_models_schema_on_sqlite(schema, tmp_path):
    assert _differences(f"sqlite:///{tmp_path / 'migrated.db'}", *SCHEMAS[schema]) == []


@pytest.mark.parametrize("schema", SCHEMAS)
def test_the_migrations_build_the_models_schema_on_postgresql(schema, postgres):
    assert _differences(create_database(postgres, f"migrated_{schema}"), *SCHEMAS[schema]) == []
