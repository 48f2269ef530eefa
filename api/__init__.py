"""The read API (SPEC section 5): FastAPI over the indexer's database, read-only."""
