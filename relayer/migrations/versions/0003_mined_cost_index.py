"""The day's spending was summed over a scan of every request ever made, once a second while
requests arrive; an index on (mined_at, gas_cost_wei) reads only the day's mined requests.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.create_index('ix_relay_request_mined_cost', ['mined_at', 'gas_cost_wei'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.drop_index('ix_relay_request_mined_cost')
