"""Refuse reporting-line cycles in the database (PostgreSQL).

The application checks for cycles before changing a manager; this trigger makes the rule hold
even for writes that bypass the application. SQLite cannot run recursive queries inside
triggers, so there the application check (and the no-self-manager CHECK) is the guard.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION users_refuse_reporting_cycle() RETURNS trigger AS $$
        BEGIN
            IF NEW.manager_id IS NOT NULL AND EXISTS (
                WITH RECURSIVE chain(id, depth) AS (
                    SELECT NEW.manager_id, 1
                    UNION ALL
                    SELECT u.manager_id, chain.depth + 1 FROM users u JOIN chain ON u.id = chain.id
                    WHERE u.manager_id IS NOT NULL AND chain.depth < 1000
                )
                SELECT 1 FROM chain WHERE id = NEW.id
            ) THEN
                RAISE EXCEPTION 'reporting cycle: % cannot report to %', NEW.id, NEW.manager_id
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
    """)
    op.execute("""
        CREATE TRIGGER users_no_reporting_cycle
        BEFORE INSERT OR UPDATE OF manager_id ON users
        FOR EACH ROW EXECUTE FUNCTION users_refuse_reporting_cycle();
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS users_no_reporting_cycle ON users")
    op.execute("DROP FUNCTION IF EXISTS users_refuse_reporting_cycle()")
