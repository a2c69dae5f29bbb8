"""acd: callers and call-backs waiting in queues (acd_waiting), offers of them to agents (acd_offers)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import core.db
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('acd_waiting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('enqueued_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('max_wait', sa.Integer(), nullable=False),
    sa.Column('record', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queue_sid', sa.String(length=64), nullable=True),
    sa.Column('dialed', sa.String(length=128), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_acd_waiting_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acd_waiting')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_acd_waiting_call_sid'))
    )
    with op.batch_alter_table('acd_waiting', schema=None) as batch_op:
        batch_op.create_index('ix_acd_waiting_status_queue', ['status', 'queue', 'priority', 'enqueued_at'], unique=False)

    op.create_table('acd_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('waiting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent_call_sid', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('wrap_up_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_acd_offers_user_id_users')),
    sa.ForeignKeyConstraint(['waiting_id'], ['acd_waiting.id'], name=op.f('fk_acd_offers_waiting_id_acd_waiting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acd_offers'))
    )
    with op.batch_alter_table('acd_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acd_offers_agent_call_sid'), ['agent_call_sid'], unique=False)
        batch_op.create_index('ix_acd_offers_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_acd_offers_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acd_offers_waiting_id'), ['waiting_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('acd_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acd_offers_waiting_id'))
        batch_op.drop_index(batch_op.f('ix_acd_offers_user_id'))
        batch_op.drop_index('ix_acd_offers_status_created')
        batch_op.drop_index(batch_op.f('ix_acd_offers_agent_call_sid'))

    op.drop_table('acd_offers')
    with op.batch_alter_table('acd_waiting', schema=None) as batch_op:
        batch_op.drop_index('ix_acd_waiting_status_queue')

    op.drop_table('acd_waiting')

