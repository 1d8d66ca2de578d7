"""Each finished review's readiness toward its targets, kept at submission: reviews.readiness.

Reviews submitted before this revision keep NULL; calibration computes theirs from the ratings.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 04:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not batch mode (see 0018): SQLite adds a nullable column in place.
    op.add_column('reviews', sa.Column('readiness', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('reviews', 'readiness')
