"""The initial schema: facts, state, undo journal and checkpoint (see database/schema.py).

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
    op.create_table('balance',
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program', 'account')
    )
    with op.batch_alter_table('balance', schema=None) as batch_op:
        batch_op.create_index('ix_balance_holders', ['program', 'balance'], unique=False)

    op.create_table('batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('first_block', sa.BigInteger(), nullable=False),
    sa.Column('last_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_first_block'), ['first_block'], unique=False)

    op.create_table('block',
    sa.Column('number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parent_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('indexed_block', sa.BigInteger(), nullable=False),
    sa.Column('indexed_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('indexed_timestamp', sa.BigInteger(), nullable=False),
    sa.Column('chain_head', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('dailystat',
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('redeemed', sa.BigInteger(), nullable=False),
    sa.Column('expired', sa.BigInteger(), nullable=False),
    sa.Column('revoked', sa.BigInteger(), nullable=False),
    sa.Column('burned', sa.BigInteger(), nullable=False),
    sa.Column('transferred', sa.BigInteger(), nullable=False),
    sa.Column('exchanged_in', sa.BigInteger(), nullable=False),
    sa.Column('exchanged_out', sa.BigInteger(), nullable=False),
    sa.Column('supply', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program', 'day')
    )
    op.create_table('epochgroup',
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('epoch', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program', 'account', 'epoch')
    )
    with op.batch_alter_table('epochgroup', schema=None) as batch_op:
        batch_op.create_index('ix_epoch_group_epoch', ['program', 'epoch'], unique=False)

    op.create_table('exchange',
    sa.Column('block', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('from_program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('to_program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount_in', sa.BigInteger(), nullable=False),
    sa.Column('amount_out', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('block', 'log_index')
    )
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_account'), ['account'], unique=False)
        batch_op.create_index('ix_exchange_pair', ['from_program', 'to_program', 'timestamp'], unique=False)

    op.create_table('merchant',
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('cap', database.schema.Uint256(length=78), nullable=False),
    sa.Column('issued', sa.BigInteger(), nullable=False),
    sa.Column('redeemed', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program', 'merchant')
    )
    op.create_table('movement',
    sa.Column('block', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('counterparty', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('epoch', sa.BigInteger(), nullable=True),
    sa.Column('reward_id', sa.Integer(), nullable=True),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('block', 'log_index', 'seq')
    )
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.create_index('ix_movement_account', ['account', 'block', 'log_index', 'seq'], unique=False)
        batch_op.create_index('ix_movement_program', ['program', 'block', 'log_index', 'seq'], unique=False)

    op.create_table('program',
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('symbol', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('epoch_start', sa.BigInteger(), nullable=False),
    sa.Column('epoch_length', sa.BigInteger(), nullable=False),
    sa.Column('validity', sa.Integer(), nullable=False),
    sa.Column('cap_period', sa.BigInteger(), nullable=False),
    sa.Column('deployed_block', sa.BigInteger(), nullable=False),
    sa.Column('transferable', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('total_supply', sa.BigInteger(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )
    op.create_table('rawevent',
    sa.Column('block', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('contract', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('args', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('block', 'log_index')
    )
    with op.batch_alter_table('rawevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rawevent_contract'), ['contract'], unique=False)

    op.create_table('redemption',
    sa.Column('block', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('block', 'log_index')
    )
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.create_index('ix_redemption_holder', ['holder'], unique=False)
        batch_op.create_index('ix_redemption_merchant', ['merchant'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_program'), ['program'], unique=False)

    op.create_table('reward',
    sa.Column('program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('merchant', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('price', database.schema.Uint256(length=78), nullable=False),
    sa.Column('stock', database.schema.Uint256(length=78), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('redemptions', sa.BigInteger(), nullable=False),
    sa.Column('points_redeemed', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('program', 'reward_id')
    )
    op.create_table('route',
    sa.Column('from_program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('to_program', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rate_num', database.schema.Uint256(length=78), nullable=False),
    sa.Column('rate_den', database.schema.Uint256(length=78), nullable=False),
    sa.Column('cap', database.schema.Uint256(length=78), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('volume_in', sa.BigInteger(), nullable=False),
    sa.Column('volume_out', sa.BigInteger(), nullable=False),
    sa.Column('exchanges', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('from_program', 'to_program')
    )
    op.create_table('undo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('undo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_undo_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('undo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_undo_batch_id'))

    op.drop_table('undo')
    op.drop_table('route')
    op.drop_table('reward')
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_program'))
        batch_op.drop_index('ix_redemption_merchant')
        batch_op.drop_index('ix_redemption_holder')

    op.drop_table('redemption')
    with op.batch_alter_table('rawevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rawevent_contract'))

    op.drop_table('rawevent')
    op.drop_table('program')
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_index('ix_movement_program')
        batch_op.drop_index('ix_movement_account')

    op.drop_table('movement')
    op.drop_table('merchant')
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_pair')
        batch_op.drop_index(batch_op.f('ix_exchange_account'))

    op.drop_table('exchange')
    with op.batch_alter_table('epochgroup', schema=None) as batch_op:
        batch_op.drop_index('ix_epoch_group_epoch')

    op.drop_table('epochgroup')
    op.drop_table('dailystat')
    op.drop_table('checkpoint')
    op.drop_table('block')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batch_first_block'))

    op.drop_table('batch')
    with op.batch_alter_table('balance', schema=None) as batch_op:
        batch_op.drop_index('ix_balance_holders')

    op.drop_table('balance')
