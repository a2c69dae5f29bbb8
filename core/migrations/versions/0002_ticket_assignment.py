"""ticket assignment: tickets.team, tickets.assigned_at, users.last_assigned_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:20:00.000000
"""
from alembic import op
import sqlalchemy as sa
import core.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', core.db.UTCDateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_assigned_at', core.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_at')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('team')
