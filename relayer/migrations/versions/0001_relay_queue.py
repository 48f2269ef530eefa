"""The relayer's queue: requests, their transaction attempts and the paying key's nonce sequence.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import database.schema

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('noncesequence',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('next_nonce', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )
    op.create_table('relay_request',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('contract', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('signer_nonce', sa.BigInteger(), nullable=False),
    sa.Column('claim', sa.String(length=160), nullable=True),
    sa.Column('calldata', sa.Text(), nullable=False),
    sa.Column('spends_token', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('points', database.schema.Uint256(length=78), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('gas_limit', sa.BigInteger(), nullable=True),
    sa.Column('tx_nonce', sa.BigInteger(), nullable=True),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('max_cost_wei', database.schema.Uint256(length=78), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=True),
    sa.Column('block_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('gas_cost_wei', database.schema.Uint256(length=78), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.Column('broadcast_at', sa.Float(), nullable=True),
    sa.Column('mined_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim')
    )
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.create_index('ix_relay_request_client', ['client', 'status'], unique=False)
        batch_op.create_index('ix_relay_request_signer', ['contract', 'signer', 'status'], unique=False)
        batch_op.create_index('ix_relay_request_status_created', ['status', 'created_at'], unique=False)

    op.create_table('attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('nonce', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('max_fee_wei', database.schema.Uint256(length=78), nullable=False),
    sa.Column('priority_fee_wei', database.schema.Uint256(length=78), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['relay_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tx_hash')
    )
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_request', ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_request')

    op.drop_table('attempt')
    with op.batch_alter_table('relay_request', schema=None) as batch_op:
        batch_op.drop_index('ix_relay_request_status_created')
        batch_op.drop_index('ix_relay_request_signer')
        batch_op.drop_index('ix_relay_request_client')

    op.drop_table('relay_request')
    op.drop_table('noncesequence')
