"""Webhooks: the outbox the indexer writes with each batch, and the notifier's subscriptions,
cursors, deliveries and `points.expiring` notices. Epoch groups are indexed by program, epoch and
account instead of program and epoch: the expiring points' pages walk a program's groups in order
of expiry and account, and the index with the account ends each page without a sort. Nothing read
the old index that the new one does not serve.

An upgraded database starts with an empty outbox: events of blocks indexed before it are not sent.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("block", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("program", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("block", "log_index", "seq"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "webhook_subscription",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("types", sa.Text(), nullable=False),
        sa.Column("programs", sa.Text(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("from_block", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("subscription", sa.String(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("last_delivered_at", sa.Float(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("subscription"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("ordering_key", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("program", sa.String(), nullable=True),
        sa.Column("epoch", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_delivery_queue", "webhook_delivery", ["subscription", "state", "ordering_key", "id"])
    op.create_index("ix_webhook_delivery_event", "webhook_delivery", ["subscription", "event_id"])
    op.create_table(
        "webhook_expiring",
        sa.Column("subscription", sa.String(), nullable=False),
        sa.Column("program", sa.String(), nullable=False),
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("subscription", "program", "account", "expires_at"),
    )
    op.drop_index("ix_epoch_group_epoch", table_name="epochgroup")
    op.create_index("ix_epoch_group_expiry", "epochgroup", ["program", "epoch", "account"])


def downgrade() -> None:
    op.drop_index("ix_epoch_group_expiry", table_name="epochgroup")
    op.create_index("ix_epoch_group_epoch", "epochgroup", ["program", "epoch"])
    for table in ("webhook_expiring", "webhook_delivery", "webhook_cursor", "webhook_subscription", "outbox"):
        op.drop_table(table)
