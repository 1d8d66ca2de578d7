"""Indexes for every foreign key and filter the pages use (performance at scale).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23 16:23:32.907498

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)

    with op.batch_alter_table('competency_tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competency_tracks_track_id'), ['track_id'], unique=False)

    with op.batch_alter_table('expectations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expectations_level_id'), ['level_id'], unique=False)

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_level_id'), ['level_id'], unique=False)

    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.create_index('ix_review_cycles_status_opens_on', ['status', 'opens_on'], unique=False)

    with op.batch_alter_table('track_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_track_levels_level_id'), ['level_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_level_key'), ['level_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_track_key'), ['track_key'], unique=False)

    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verdicts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verdicts_cycle_id'), ['cycle_id'], unique=False)
        batch_op.create_index('ix_verdicts_subject_target_created',
                              ['subject_id', 'target_level_key', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_verdicts_subject_target_created')
        batch_op.drop_index(batch_op.f('ix_verdicts_cycle_id'))
        batch_op.drop_index(batch_op.f('ix_verdicts_author_id'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_track_key'))
        batch_op.drop_index(batch_op.f('ix_users_name'))
        batch_op.drop_index(batch_op.f('ix_users_level_key'))

    with op.batch_alter_table('track_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_track_levels_level_id'))

    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cycles_status_opens_on')

    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_level_id'))

    with op.batch_alter_table('expectations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expectations_level_id'))

    with op.batch_alter_table('competency_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competency_tracks_track_id'))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))

