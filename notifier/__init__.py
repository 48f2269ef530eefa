"""The notifier: sends the indexed chain's events to webhook subscribers (SPEC section 7).

`python -m notifier run` runs next to the indexer on the same database: the indexer writes each
batch's events to the outbox, and the notifier delivers them once they are confirmed.
"""
