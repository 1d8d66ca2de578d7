"""One record per form sent and one open pairing per mentor and mentee: a unique creation token
on feedback notes, 1:1s, goals, goal updates, mentorships and verdicts (a goal made from an
action item carries the item, so an item makes one goal), and a partial unique index on open
mentorships.

Existing data is checked first: a pairing that lapsed (its end date passed) while another
pairing of the same two people is open is marked ended on its end date; two or more pairings
of the same two people that are still open stop the upgrade with their ids named.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from ladder import clock

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLES = ('feedback_notes', 'one_on_ones', 'goals', 'goal_updates', 'mentorships', 'verdicts')
OPEN = 'ended_on IS NULL'


def current(alias: str) -> str:
    """The pairing `alias` is open and its end date (if any) has not passed (today by the app's
    clock, bound as :today, as the app itself decides)."""
    return f"{alias}.ended_on IS NULL AND ({alias}.ends_on IS NULL OR {alias}.ends_on >= :today)"


def upgrade():
    _refuse_open_duplicate_pairings()
    _close_lapsed_duplicate_pairings()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('creation_token', sa.String(length=64), nullable=True))
            batch_op.create_index(f'ix_{table}_creation_token', ['creation_token'], unique=True)
    op.execute("UPDATE goals SET creation_token = (SELECT 'action-item-' || a.id FROM action_items a "
               "WHERE a.goal_id = goals.id ORDER BY a.id LIMIT 1) "
               "WHERE id IN (SELECT goal_id FROM action_items WHERE goal_id IS NOT NULL)")
    op.create_index('uq_mentorships_open_pair', 'mentorships', ['mentor_id', 'mentee_id'], unique=True,
                    sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def _close_lapsed_duplicate_pairings():
    op.get_bind().execute(sa.text(
        f"UPDATE mentorships SET ended_on = ends_on WHERE {OPEN} AND ends_on < :today "
        "AND EXISTS (SELECT 1 FROM mentorships other WHERE other.id <> mentorships.id "
        "AND other.mentor_id = mentorships.mentor_id AND other.mentee_id = mentorships.mentee_id "
        f"AND other.{OPEN})"), {"today": clock.today()})


def _refuse_open_duplicate_pairings():
    rows = op.get_bind().execute(sa.text(
        "SELECT m.id, mentor.email, mentee.email FROM mentorships m "
        "JOIN users mentor ON mentor.id = m.mentor_id JOIN users mentee ON mentee.id = m.mentee_id "
        f"WHERE {current('m')} AND EXISTS (SELECT 1 FROM mentorships other WHERE other.id <> m.id "
        f"AND other.mentor_id = m.mentor_id AND other.mentee_id = m.mentee_id AND {current('other')}) "
        "ORDER BY m.mentor_id, m.mentee_id, m.id"), {"today": clock.today()}).all()
    if not rows:
        return
    pairs = {}
    for pairing_id, mentor, mentee in rows:
        pairs.setdefault((mentor, mentee), []).append(str(pairing_id))
    listed = "; ".join(f"{mentor} mentoring {mentee}: mentorships {', '.join(ids)}"
                       for (mentor, mentee), ids in pairs.items())
    raise RuntimeError(f"Migration 0010 stopped: these people have more than one open pairing ({listed}). "
                       "End all but one of each (set ended_on, or End on the mentorships page), then "
                       "upgrade again. Nothing was changed.")


def downgrade():
    op.drop_index('uq_mentorships_open_pair', table_name='mentorships',
                  sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{table}_creation_token')
            batch_op.drop_column('creation_token')
