"""agent calls: the desk's own calls (agent_calls); calls get direction and ticket; users get wrap_up_until; audit_log; call_monitoring

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:26:59.855007
"""
from alembic import op
import sqlalchemy as sa
import core.db
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=64), nullable=False),
    sa.Column('conference_sid', sa.String(length=64), nullable=True),
    sa.Column('agent_call_sid', sa.String(length=64), nullable=True),
    sa.Column('customer_call_sid', sa.String(length=64), nullable=True),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('caller_id', sa.String(length=32), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('interaction_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('record', sa.Boolean(), nullable=False),
    sa.Column('recording_sid', sa.String(length=64), nullable=True),
    sa.Column('recording_paused', sa.Boolean(), nullable=False),
    sa.Column('on_hold', sa.Boolean(), nullable=False),
    sa.Column('customer_joined', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('connected_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('disposition', sa.String(length=40), nullable=True),
    sa.Column('wrap_note', sa.Text(), nullable=True),
    sa.Column('wrapped_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('transferred_from', sa.Integer(), nullable=True),
    sa.Column('callback_offer', sa.Integer(), nullable=True),
    sa.Column('transfer', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('events', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['callback_offer'], ['acd_offers.id'], name=op.f('fk_agent_calls_callback_offer_acd_offers')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_agent_calls_customer_id_customers')),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_agent_calls_interaction_id_interactions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_agent_calls_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['transferred_from'], ['agent_calls.id'], name=op.f('fk_agent_calls_transferred_from_agent_calls')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_calls_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_calls'))
    )
    with op.batch_alter_table('agent_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_calls_agent_call_sid'), ['agent_call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_calls_customer_call_sid'), ['customer_call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_calls_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_calls_room'), ['room'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_calls_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_calls_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_agent_calls_user_status', ['user_id', 'status'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=16), nullable=False,
                                      server_default='inbound'))
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_calls_ticket_id_tickets'), 'tickets', ['ticket_id'], ['id'])

    with op.batch_alter_table('acd_waiting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('leg', sa.String(length=64), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrap_up_until', core.db.UTCDateTime(timezone=True), nullable=True))

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_at', ['action', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('call_monitoring',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_call_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('leg', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_call_id'], ['agent_calls.id'], name=op.f('fk_call_monitoring_agent_call_id_agent_calls')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_call_monitoring_supervisor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_monitoring'))
    )
    with op.batch_alter_table('call_monitoring', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_monitoring_agent_call_id'), ['agent_call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_monitoring_leg'), ['leg'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_monitoring_supervisor_id'), ['supervisor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('acd_waiting', schema=None) as batch_op:
        batch_op.drop_column('leg')
        batch_op.drop_column('room')

    with op.batch_alter_table('call_monitoring', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_monitoring_supervisor_id'))
        batch_op.drop_index(batch_op.f('ix_call_monitoring_leg'))
        batch_op.drop_index(batch_op.f('ix_call_monitoring_agent_call_id'))

    op.drop_table('call_monitoring')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index('ix_audit_log_action_at')

    op.drop_table('audit_log')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('wrap_up_until')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_ticket_id_tickets'), type_='foreignkey')
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('direction')

    with op.batch_alter_table('agent_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_calls_user_status')
        batch_op.drop_index(batch_op.f('ix_agent_calls_user_id'))
        batch_op.drop_index(batch_op.f('ix_agent_calls_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_agent_calls_room'))
        batch_op.drop_index(batch_op.f('ix_agent_calls_customer_id'))
        batch_op.drop_index(batch_op.f('ix_agent_calls_customer_call_sid'))
        batch_op.drop_index(batch_op.f('ix_agent_calls_agent_call_sid'))

    op.drop_table('agent_calls')
