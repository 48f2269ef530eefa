"""The database that the indexer writes and the API reads: its tables (`schema`) and their
Alembic migrations (`migrations/`, versions kept by `versions`). SQLite by default, PostgreSQL
by URL."""
