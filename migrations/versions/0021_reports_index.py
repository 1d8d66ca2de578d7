"""A manager's reports indexed with what a walk down the reporting tree reads: ix_users_reports.

(manager_id, id), with on_ladder and name included on PostgreSQL, replaces ix_users_manager_id:
the recursive query of a tree then reads the index only, never the table.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 00:10:00

"""
from ladder.schema_changes import create_index, drop_index

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # built and dropped CONCURRENTLY on PostgreSQL: the users table stays readable and writable
    create_index('ix_users_reports', 'users', ['manager_id', 'id'], unique=False,
                 postgresql_include=['on_ladder', 'name'])
    drop_index('ix_users_manager_id', 'users')


def downgrade():
    create_index('ix_users_manager_id', 'users', ['manager_id'], unique=False)
    drop_index('ix_users_reports', 'users')
