"""People without a ladder role: users.on_ladder (everyone who exists keeps theirs).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 03:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not batch mode: SQLite's batch mode would copy the table without 0007's
    # expression indexes (SQLite adds a column with a constant default, and drops one since 3.35).
    op.add_column('users', sa.Column('on_ladder', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.drop_column('users', 'on_ladder')
