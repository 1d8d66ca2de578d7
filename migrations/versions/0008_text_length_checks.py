"""Length limits on free text in the database: evidence, acknowledgements, rationales, notes,
1:1 notes, goal descriptions and goal updates (the forms' limits, now CHECK constraints).

Written to be safe on a live database with data: rows over a limit are named and nothing is
changed (fix them, run again); on PostgreSQL each constraint is added NOT VALID (a brief lock)
and then validated (reads and writes go on meanwhile).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 19:40:00

"""
from alembic import op

from ladder.schema_changes import add_check_constraints

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# table -> (column, limit): the limits of ladder/models/reviews.py and mentorship.py
LIMITS = {
    'ratings': ('evidence', 5000),
    'reviews': ('acknowledgement', 5000),
    'verdicts': ('rationale', 5000),
    'feedback_notes': ('body', 20000),
    'one_on_ones': ('notes', 20000),
    'goals': ('description', 5000),
    'goal_updates': ('body', 5000),
}


def upgrade():
    add_check_constraints([(table, f'{column}_length', f'length({column}) <= {limit}',
                            f'{column} longer than {limit} characters')
                           for table, (column, limit) in LIMITS.items()])


def downgrade():
    for table, (column, _) in LIMITS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f'{column}_length', type_='check')
