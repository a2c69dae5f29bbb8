"""cross-feature keys: foreign keys between packages' tables; recordings keep their call's queue

calls.customer_id, recordings.customer_id -> customers; recordings.ticket_id -> tickets;
recordings.interaction_id -> interactions; tickets.assignee_id -> users. References to rows
that no longer exist are cleared first (they could be left by older versions), so the keys
can be added to a database in use. recordings.queue is filled from the call it belongs to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (table, column, referred table)
KEYS = (
    ("calls", "customer_id", "customers"),
    ("recordings", "customer_id", "customers"),
    ("recordings", "ticket_id", "tickets"),
    ("recordings", "interaction_id", "interactions"),
    ("tickets", "assignee_id", "users"),
)


def _name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue', sa.String(length=64), nullable=True))
    op.execute("UPDATE recordings SET queue = (SELECT calls.queue FROM calls "
               "WHERE calls.call_sid = recordings.call_sid)")
    for table, column, referred in KEYS:  # orphans would refuse the key
        op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL AND "
                   f"{column} NOT IN (SELECT id FROM {referred})")
    for table in ("calls", "recordings", "tickets"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referred in KEYS:
                if owner == table:
                    batch_op.create_foreign_key(_name(table, column, referred), referred,
                                                [column], ["id"])


def downgrade() -> None:
    for table in ("tickets", "recordings", "calls"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, column, referred in KEYS:
                if owner == table:
                    batch_op.drop_constraint(_name(table, column, referred), type_="foreignkey")
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_column('queue')
