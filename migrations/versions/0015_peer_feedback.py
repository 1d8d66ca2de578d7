"""Peer feedback: requests to colleagues for feedback on chosen competencies within a cycle,
with their answers, and a cycle setting to show the engineer the answers without names.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('peer_feedback_anonymous', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table('peer_feedback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('peer_id', sa.Integer(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('decline_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('declined_at', sa.DateTime(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('creation_token', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'answered', 'declined')",
                       name=op.f('ck_peer_feedback_requests_status')),
    sa.CheckConstraint('peer_id <> subject_id', name=op.f('ck_peer_feedback_requests_peer_not_subject')),
    sa.CheckConstraint("status = 'answered' OR answered_at IS NULL",
                       name=op.f('ck_peer_feedback_requests_answered_at_when_answered')),
    sa.CheckConstraint("status = 'declined' OR declined_at IS NULL",
                       name=op.f('ck_peer_feedback_requests_declined_at_when_declined')),
    sa.CheckConstraint('length(decline_reason) <= 1000', name=op.f('ck_peer_feedback_requests_decline_reason_length')),
    sa.ForeignKeyConstraint(['cycle_id'], ['review_cycles.id'],
                            name=op.f('fk_peer_feedback_requests_cycle_id_review_cycles'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_peer_feedback_requests_subject_id_users'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_peer_feedback_requests_requester_id_users'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['peer_id'], ['users.id'], name=op.f('fk_peer_feedback_requests_peer_id_users'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_feedback_requests')),
    sa.UniqueConstraint('cycle_id', 'subject_id', 'peer_id',
                        name=op.f('uq_peer_feedback_requests_cycle_id_subject_id_peer_id'))
    )
    with op.batch_alter_table('peer_feedback_requests', schema=None) as batch_op:
        for column in ('cycle_id', 'subject_id', 'requester_id', 'peer_id'):
            batch_op.create_index(batch_op.f(f'ix_peer_feedback_requests_{column}'), [column], unique=False)
        batch_op.create_index(batch_op.f('ix_peer_feedback_requests_creation_token'), ['creation_token'], unique=True)
        batch_op.create_index('ix_peer_feedback_requests_peer_status', ['peer_id', 'status'], unique=False)


def downgrade():
    op.drop_table('peer_feedback_requests')
    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.drop_column('peer_feedback_anonymous')
