"""A signer's pending requests are looked up by signer and status, on every contract at once: the
index on (contract, signer, status) served no query, and without one by signer every request that
was checked scanned all the active rows.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.drop_index('ix_relay_request_signer')
        batch_op.create_index('ix_relay_request_signer', ['signer', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.drop_index('ix_relay_request_signer')
        batch_op.create_index('ix_relay_request_signer', ['contract', 'signer', 'status'], unique=False)
