"""The holders index covers the account too: `/v1/programs/{token}/holders` pages by
(balance, account), and without the account every page after the first sorted a run of equal
balances anew.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_balance_holders", table_name="balance")
    op.create_index("ix_balance_holders", "balance", ["program", "balance", "account"])


def downgrade() -> None:
    op.drop_index("ix_balance_holders", table_name="balance")
    op.create_index("ix_balance_holders", "balance", ["program", "balance"])
