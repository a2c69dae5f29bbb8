"""agent states: users.presence takes the ACD's states (offline, available, reserved, on_call,
wrap_up, break with a reason) and every change is kept in agent_state_changes

Existing presences: available and offline stay; busy and away become a break with that reason
(neither took calls before; both are chosen by hand again in the desk).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import core.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

NEW = "presence IN ('offline', 'available', 'reserved', 'on_call', 'wrap_up', 'break')"
OLD = "presence IN ('available', 'busy', 'away', 'offline')"


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_presence'), type_='check')
        batch_op.add_column(sa.Column('presence_reason', sa.String(length=40), nullable=True))
    op.execute("UPDATE users SET presence_reason = presence, presence = 'break' "
               "WHERE presence IN ('busy', 'away')")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_users_presence'), NEW)
    op.create_table('agent_state_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_state_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_state_changes'))
    )
    with op.batch_alter_table('agent_state_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_state_changes_at'), ['at'], unique=False)
        batch_op.create_index('ix_agent_state_changes_user_at', ['user_id', 'at'], unique=False)
    op.execute("INSERT INTO agent_state_changes (user_id, status, reason, at) "
               "SELECT id, presence, presence_reason, presence_changed_at FROM users")


def downgrade() -> None:
    op.drop_table('agent_state_changes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_presence'), type_='check')
    op.execute("UPDATE users SET presence = CASE WHEN presence_reason IN ('busy', 'away') "
               "THEN presence_reason WHEN presence = 'break' THEN 'away' "
               "WHEN presence IN ('reserved', 'on_call', 'wrap_up') THEN 'busy' "
               "ELSE presence END")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('presence_reason')
        batch_op.create_check_constraint(op.f('ck_users_presence'), OLD)
