"""Several ladders: every person has a ladder (backfilled with the default one); a cycle may
cover other ladders' versions and each review records the version it is made on; levels,
tracks and competencies remember the keys they were renamed from; format 2's level codes,
per-track titles and declared transitions.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

RENAMABLE = ('levels', 'tracks', 'competencies')
DEFAULT_LADDER = 'engineering'  # config.py's LADDER_DEFAULT_FRAMEWORK when this was written


def upgrade():
    for table in RENAMABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('renamed_from', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('framework_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_framework_id'), ['framework_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_framework_id_frameworks'), 'frameworks',
                                    ['framework_id'], ['id'], ondelete='SET NULL')
    _restore_expression_indexes()
    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('titles', sa.JSON(), nullable=True))
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transitions', sa.JSON(), nullable=True))
    op.create_table(
        'review_cycle_ladders',
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('framework_version_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['review_cycles.id'],
                                name=op.f('fk_review_cycle_ladders_cycle_id_review_cycles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['framework_version_id'], ['framework_versions.id'],
                                name=op.f('fk_review_cycle_ladders_framework_version_id_framework_versions'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('cycle_id', 'framework_version_id', name=op.f('pk_review_cycle_ladders')),
    )
    with op.batch_alter_table('review_cycle_ladders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_cycle_ladders_framework_version_id'), ['framework_version_id'],
                              unique=False)
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('framework_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_reviews_framework_version_id'), ['framework_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reviews_framework_version_id_framework_versions'),
                                    'framework_versions', ['framework_version_id'], ['id'], ondelete='RESTRICT')
    # Everyone was on the default ladder (or, without one, the oldest ladder).
    op.execute(sa.text(
        "UPDATE users SET framework_id = (SELECT id FROM frameworks "
        "ORDER BY CASE WHEN key = :key THEN 0 ELSE 1 END, id LIMIT 1)"
    ).bindparams(key=DEFAULT_LADDER))


def _restore_expression_indexes():
    """SQLite's batch mode copies the users table without its expression indexes (0007's)."""
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_users_name_order', 'users', [sa.text('lower(name)'), 'id'], unique=False)
        op.create_index('ix_users_level_name_order', 'users', ['level_key', sa.text('lower(name)'), 'id'],
                        unique=False)


def downgrade():
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reviews_framework_version_id_framework_versions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reviews_framework_version_id'))
        batch_op.drop_column('framework_version_id')
    op.drop_table('review_cycle_ladders')
    with op.batch_alter_table('framework_versions', schema=None) as batch_op:
        batch_op.drop_column('transitions')
    with op.batch_alter_table('levels', schema=None) as batch_op:
        batch_op.drop_column('titles')
        batch_op.drop_column('code')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_framework_id_frameworks'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_framework_id'))
        batch_op.drop_column('framework_id')
    _restore_expression_indexes()
    for table in RENAMABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('renamed_from')
