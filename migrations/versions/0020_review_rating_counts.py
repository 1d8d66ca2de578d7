"""Each finished manager review's rating counts for calibration, kept: reviews.rated_below ... self_gaps.

The backfill counts every finished manager review from its ratings and the person's submitted
self-review of the same cycle, as ladder/services/rating_counts.py does at submission.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = ('rated_below', 'rated_at', 'rated_above', 'self_gap_sum', 'self_gaps')

FINISHED = ("((r.kind = 'manager' AND r.status IN ('submitted', 'shared'))"
            " OR (r.kind = 'self' AND r.status = 'submitted'))")

# Per person, cycle and competency: the manager's rank, the self-review's, the person's level's
# (a rating's rank is its level's; "below current" is one under the person's level); then per
# manager review, the ratings below, at and above level and the gaps over competencies rated in both.
BACKFILL = f"""
UPDATE reviews SET rated_below = counted.below, rated_at = counted.at_level, rated_above = counted.above,
                   self_gap_sum = counted.gap_sum, self_gaps = counted.gaps
FROM (
  SELECT m.id AS review_id,
         SUM(CASE WHEN pc.mine < pc.level THEN 1 ELSE 0 END) AS below,
         SUM(CASE WHEN pc.mine = pc.level THEN 1 ELSE 0 END) AS at_level,
         SUM(CASE WHEN pc.mine > pc.level THEN 1 ELSE 0 END) AS above,
         SUM(CASE WHEN pc.mine IS NOT NULL AND pc.theirs IS NOT NULL THEN pc.mine - pc.theirs ELSE 0 END) AS gap_sum,
         SUM(CASE WHEN pc.mine IS NOT NULL AND pc.theirs IS NOT NULL THEN 1 ELSE 0 END) AS gaps
  FROM (
    SELECT r.subject_id, r.cycle_id,
           MAX(CASE WHEN r.kind = 'manager' THEN
                 CASE WHEN rt.below_current THEN cur.rank - 1 ELSE lv.rank END END) AS mine,
           MAX(CASE WHEN r.kind <> 'manager' THEN
                 CASE WHEN rt.below_current THEN cur.rank - 1 ELSE lv.rank END END) AS theirs,
           MAX(CASE WHEN r.kind = 'manager' THEN cur.rank END) AS level
    FROM ratings rt
    JOIN reviews r ON r.id = rt.review_id
    JOIN review_cycles cy ON cy.id = r.cycle_id
    JOIN levels cur ON cur.version_id = COALESCE(r.framework_version_id, cy.framework_version_id)
                   AND cur.key = r.subject_level_key
    LEFT JOIN levels lv ON lv.id = rt.level_id
    WHERE {FINISHED}
    GROUP BY r.subject_id, r.cycle_id, rt.competency_id
  ) pc
  JOIN reviews m ON m.subject_id = pc.subject_id AND m.cycle_id = pc.cycle_id
                AND m.kind = 'manager' AND m.status IN ('submitted', 'shared')
  GROUP BY m.id
) counted
WHERE reviews.id = counted.review_id
"""

# A finished manager review with no rating at all counts nothing.
NOTHING_RATED = """
UPDATE reviews SET rated_below = 0, rated_at = 0, rated_above = 0, self_gap_sum = 0, self_gaps = 0
WHERE kind = 'manager' AND status IN ('submitted', 'shared') AND rated_below IS NULL
"""


def upgrade():
    # Plain ALTER TABLE, not batch mode (see 0018): SQLite adds nullable columns in place.
    for name in COLUMNS:
        op.add_column('reviews', sa.Column(name, sa.Integer(), nullable=True))
    op.execute(BACKFILL)
    op.execute(NOTHING_RATED)


def downgrade():
    for name in reversed(COLUMNS):
        op.drop_column('reviews', name)
