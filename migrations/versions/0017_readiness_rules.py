"""Readiness rules a ladder declares: which competencies are optional, choose-N groups, or the
points rule (milestones worth points, a level reached at a total). NULL: plain coverage, what
every version stored before this meant.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 03:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('readiness_rule', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.drop_column('readiness_rule')
