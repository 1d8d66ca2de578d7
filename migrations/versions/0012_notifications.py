"""Notifications with their email outbox, single-use sign-in links (invitations and password
resets), and each person's email preference for notifications.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

KINDS = ('cycle_opened', 'self_review_due_soon', 'self_review_overdue', 'manager_review_due_soon',
         'manager_review_overdue', 'self_review_submitted', 'review_shared', 'review_released',
         'review_acknowledged', 'feedback_shared', 'peer_feedback_requested', 'goal_overdue')
RECORD_TYPES = ('review', 'review_cycle', 'feedback_note', 'goal', 'user')
EMAIL_STATES = ('pending', 'sent', 'skipped')
PREFERENCES = ('immediately', 'daily', 'off')


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('record_type', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('message', sa.String(length=300), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('email_state', sa.String(length=16), server_default='pending', nullable=False),
        sa.Column('email_attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('emailed_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.CheckConstraint(f'kind IN {KINDS}', name=op.f('ck_notifications_kind')),
        sa.CheckConstraint(f'record_type IN {RECORD_TYPES}', name=op.f('ck_notifications_record_type')),
        sa.CheckConstraint(f'email_state IN {EMAIL_STATES}', name=op.f('ck_notifications_email_state')),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_notifications_recipient_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_notifications_subject_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('recipient_id', 'dedupe_key', name=op.f('uq_notifications_recipient_id_dedupe_key')),
    )
    op.create_index('ix_notifications_recipient_read', 'notifications', ['recipient_id', 'read_at'])
    op.create_index('ix_notifications_outbox', 'notifications', ['email_state', 'next_attempt_at'])
    op.create_index(op.f('ix_notifications_subject_id'), 'notifications', ['subject_id'])

    op.create_table(
        'sign_in_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("purpose IN ('invite', 'reset')", name=op.f('ck_sign_in_links_purpose')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_links_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_links_token_hash')),
    )
    op.create_index(op.f('ix_sign_in_links_user_id'), 'sign_in_links', ['user_id'])

    # SQLite rebuilds the table to add a CHECK constraint, which loses expression indexes: drop
    # them first and build them again after.
    _drop_name_order_indexes()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_email', sa.String(length=16), server_default='immediately',
                                      nullable=False))
        batch_op.add_column(sa.Column('digest_sent_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint('notification_email', f'notification_email IN {PREFERENCES}')
    _create_name_order_indexes()


def _drop_name_order_indexes():
    op.drop_index('ix_users_level_name_order', table_name='users')
    op.drop_index('ix_users_name_order', table_name='users')


def _create_name_order_indexes():
    op.create_index('ix_users_name_order', 'users', [sa.text('lower(name)'), 'id'], unique=False)
    op.create_index('ix_users_level_name_order', 'users', ['level_key', sa.text('lower(name)'), 'id'], unique=False)


def downgrade():
    _drop_name_order_indexes()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('notification_email', type_='check')
        batch_op.drop_column('digest_sent_on')
        batch_op.drop_column('notification_email')
    _create_name_order_indexes()
    op.drop_index(op.f('ix_sign_in_links_user_id'), table_name='sign_in_links')
    op.drop_table('sign_in_links')
    op.drop_index(op.f('ix_notifications_subject_id'), table_name='notifications')
    op.drop_index('ix_notifications_outbox', table_name='notifications')
    op.drop_index('ix_notifications_recipient_read', table_name='notifications')
    op.drop_table('notifications')
