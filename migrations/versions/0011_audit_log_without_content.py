"""Scrub the audit log of content it should never have kept: the text of feedback notes, 1:1s
and action items, and the values and evidence of ratings (written while their review was a
draft). Field names stay, so who changed what and when is still on record; texts become their
size ("(120 characters)"), the way the log records them from now on.

A data migration only; it cannot be undone (the text is gone).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 00:40:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The rule of ladder/services/audit.py (REDACTED_FIELDS) when this migration was written.
REDACTED_FIELDS = {
    'feedback_note': {'body'},
    'one_on_one': {'notes', 'participants', 'action_items'},
    'action_item': {'text'},
}
RATING_PARTS = {'level_id': 'rating', 'below_current': 'rating', 'evidence': 'evidence', 'rating': 'rating'}

audit_log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('action', sa.String),
                     sa.column('entity_type', sa.String), sa.column('changes', sa.JSON))
competencies = sa.table('competencies', sa.column('id', sa.Integer), sa.column('key', sa.String))


# A value the log already keeps as a size: left as it is, so the migration can run twice.
SIZE = re.compile(r'\((\d+ characters?|\d+ items?|not logged)\)')


def _count(number: int, noun: str) -> str:
    return f'{number} {noun}' + ('' if number == 1 else 's')


def _size(value):
    if value is None or (isinstance(value, str) and SIZE.fullmatch(value)):
        return value
    if isinstance(value, str):
        return f'({_count(len(value), "character")})'
    if isinstance(value, list):
        return f'({_count(len(value), "item")})'
    return '(not logged)'


def _redacted(change):
    if isinstance(change, list) and len(change) == 2:
        return [_size(change[0]), _size(change[1])]
    return _size(change)


def _rating_parts(fields) -> str:
    return ', '.join(sorted({RATING_PARTS[f] for f in fields if f in RATING_PARTS}))


def scrubbed(action: str, entity_type: str, changes: dict, competency_keys: dict) -> dict:
    """One row's changes without content (unchanged when it holds none)."""
    if entity_type in REDACTED_FIELDS:
        fields = REDACTED_FIELDS[entity_type]
        return {k: _redacted(v) if k in fields else v for k, v in changes.items()}
    if entity_type == 'review' and action.startswith('rating.') and 'competency_id' in changes:
        # the old hook: one row per rating, {competency_id, level_id: [..], evidence: [..], ...}
        key = competency_keys.get(changes['competency_id'], str(changes['competency_id']))
        return {key: _rating_parts(k for k in changes if k != 'competency_id')}
    if entity_type == 'review' and action == 'review.save':
        # the old save record: {competency key: {"rating": [before, after], "evidence": "changed"}}
        return {key: _rating_parts(value) if isinstance(value, dict) else value for key, value in changes.items()}
    return changes


def scrub(connection) -> int:
    """Rewrite every audit row that holds content; returns how many rows changed."""
    keys = dict(connection.execute(sa.select(competencies.c.id, competencies.c.key)).all())
    rows = connection.execute(
        sa.select(audit_log.c.id, audit_log.c.action, audit_log.c.entity_type, audit_log.c.changes)
        .where(audit_log.c.entity_type.in_([*REDACTED_FIELDS, 'review']))).all()
    changed = 0
    for row_id, action, entity_type, changes in rows:
        if not isinstance(changes, dict):
            continue
        clean = scrubbed(action, entity_type, changes, keys)
        if clean != changes:
            connection.execute(audit_log.update().where(audit_log.c.id == row_id).values(changes=clean))
            changed += 1
    return changed


def upgrade():
    scrub(op.get_bind())


def downgrade():
    pass  # the scrubbed text cannot come back
