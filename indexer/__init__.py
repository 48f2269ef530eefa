"""Mirrors the contracts' events into SQL: `python -m indexer run [--follow]` and `python -m indexer verify`."""
