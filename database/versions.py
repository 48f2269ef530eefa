"""Schema versions, kept by Alembic: the indexer's database (`database/migrations/`) and the
relayer's queue (`relayer/migrations/`), each a `Migrations` of its own.

A new database is created from the models and stamped with the newest revision; an older one is
upgraded by `python -m indexer migrate` (or `python -m relayer migrate`), never silently.
"""

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection


@dataclass(frozen=True)
class Migrations:
    location: Path
    # Alembic's own bookkeeping table: distinct names let both schemas share one PostgreSQL database.
    version_table: str = "alembic_version"


INDEXED = Migrations(Path(__file__).parent / "migrations")


def alembic_config(connection: Connection, migrations: Migrations = INDEXED) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations.location))
    config.attributes["connection"] = connection
    return config


def head_revision(migrations: Migrations = INDEXED) -> str:
    config = Config()
    config.set_main_option("script_location", str(migrations.location))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, f"{migrations.location} has no revision"
    return head


def current_revision(connection: Connection, migrations: Migrations = INDEXED) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": migrations.version_table}
                                      ).get_current_revision()


def stamp_head(connection: Connection, migrations: Migrations = INDEXED) -> None:
    command.stamp(alembic_config(connection, migrations), "head")


def upgrade_to_head(connection: Connection, migrations: Migrations = INDEXED) -> None:
    command.upgrade(alembic_config(connection, migrations), "head")
