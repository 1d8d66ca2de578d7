"""The identity provider's subject on each person, for single sign-on (a unique index: one
provider account signs in as one person).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Added as a plain column and a separate index, so SQLite does not rebuild the table (a
    # rebuild would drop the expression indexes on users).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
    op.create_index(op.f('ix_users_oidc_subject'), 'users', ['oidc_subject'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_users_oidc_subject'), table_name='users')
    # A plain ALTER TABLE (SQLite 3.35+ drops columns): batch mode would rebuild users and lose
    # its expression indexes (0007).
    op.execute('ALTER TABLE users DROP COLUMN oidc_subject')
