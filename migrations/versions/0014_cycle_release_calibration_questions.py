"""review cycles: hold results until released (per cycle or per team), verdicts changed in
calibration, and free-text review questions with their answers

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_results', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('released_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calibrated_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_verdicts_calibrated_from_id'), ['calibrated_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_verdicts_calibrated_from_id_verdicts'), 'verdicts',
                                    ['calibrated_from_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'result_releases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('released_by_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('released_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('people_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['review_cycles.id'],
                                name=op.f('fk_result_releases_cycle_id_review_cycles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['manager_id'], ['users.id'], name=op.f('fk_result_releases_manager_id_users'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_result_releases_released_by_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_result_releases')),
    )
    for column in ('cycle_id', 'manager_id', 'released_by_id'):
        op.create_index(op.f(f'ix_result_releases_{column}'), 'result_releases', [column], unique=False)
    op.create_table(
        'released_subjects',
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cycle_id'], ['review_cycles.id'],
                                name=op.f('fk_released_subjects_cycle_id_review_cycles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['release_id'], ['result_releases.id'],
                                name=op.f('fk_released_subjects_release_id_result_releases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subject_id'], ['users.id'], name=op.f('fk_released_subjects_subject_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('cycle_id', 'subject_id', name=op.f('pk_released_subjects')),
    )
    op.create_index(op.f('ix_released_subjects_release_id'), 'released_subjects', ['release_id'], unique=False)
    op.create_index(op.f('ix_released_subjects_subject_id'), 'released_subjects', ['subject_id'], unique=False)
    op.create_table(
        'review_questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cycle_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('prompt', sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('self', 'manager')", name=op.f('ck_review_questions_kind')),
        sa.CheckConstraint('length(prompt) <= 300', name=op.f('ck_review_questions_prompt_length')),
        sa.ForeignKeyConstraint(['cycle_id'], ['review_cycles.id'],
                                name=op.f('fk_review_questions_cycle_id_review_cycles'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_questions')),
        sa.UniqueConstraint('cycle_id', 'kind', 'position', name=op.f('uq_review_questions_cycle_id_kind_position')),
    )
    op.create_index(op.f('ix_review_questions_cycle_id'), 'review_questions', ['cycle_id'], unique=False)
    op.create_table(
        'review_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.CheckConstraint('length(body) <= 5000', name=op.f('ck_review_answers_body_length')),
        sa.ForeignKeyConstraint(['question_id'], ['review_questions.id'],
                                name=op.f('fk_review_answers_question_id_review_questions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['review_id'], ['reviews.id'], name=op.f('fk_review_answers_review_id_reviews'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_answers')),
        sa.UniqueConstraint('review_id', 'question_id', name=op.f('uq_review_answers_review_id_question_id')),
    )
    op.create_index(op.f('ix_review_answers_question_id'), 'review_answers', ['question_id'], unique=False)


def downgrade():
    op.drop_table('review_answers')
    op.drop_table('review_questions')
    op.drop_table('released_subjects')
    op.drop_table('result_releases')
    with op.batch_alter_table('verdicts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_verdicts_calibrated_from_id_verdicts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_verdicts_calibrated_from_id'))
        batch_op.drop_column('calibrated_from_id')
    with op.batch_alter_table('review_cycles', schema=None) as batch_op:
        batch_op.drop_column('released_at')
        batch_op.drop_column('hold_results')
