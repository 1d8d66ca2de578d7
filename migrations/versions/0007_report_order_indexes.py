"""Indexes in the org report's orders: lower(name), id and level, lower(name), id.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-23 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_users_name_order', 'users', [sa.text('lower(name)'), 'id'], unique=False)
    op.create_index('ix_users_level_name_order', 'users', ['level_key', sa.text('lower(name)'), 'id'], unique=False)


def downgrade():
    op.drop_index('ix_users_level_name_order', table_name='users')
    op.drop_index('ix_users_name_order', table_name='users')
