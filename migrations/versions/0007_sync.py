"""sync: the event feed and its per-school counter, API tokens, webhooks and their delivery log,
receipts of offline sends, and the staff OneRoster sourcedId

Revision ID: 0007_sync
Revises: 0006_mediation
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007_sync"
down_revision = "0006_mediation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_counter',
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_feed_counter_school_id_school')),
    sa.PrimaryKeyConstraint('school_id', name=op.f('pk_feed_counter'))
    )
    op.create_table('feed_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('record_type', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_feed_event_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_event')),
    sa.UniqueConstraint('school_id', 'seq', name=op.f('uq_feed_event_school_id_seq'))
    )
    with op.batch_alter_table('feed_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_event_school_id'), ['school_id'], unique=False)
    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=80), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_webhook_endpoint_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint'))
    )
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_school_id'), ['school_id'], unique=False)
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_api_token_created_by_id_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_api_token_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_school_id'), ['school_id'], unique=False)
    op.create_table('sync_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_sync_receipt_school_id_school')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_sync_receipt_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_receipt')),
    sa.UniqueConstraint('school_id', 'client_uuid', name=op.f('uq_sync_receipt_school_id_client_uuid'))
    )
    with op.batch_alter_table('sync_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_receipt_school_id'), ['school_id'], unique=False)
    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint')),
    sa.ForeignKeyConstraint(['event_id'], ['feed_event.id'], name=op.f('fk_webhook_delivery_event_id_feed_event')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_webhook_delivery_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    sa.UniqueConstraint('endpoint_id', 'event_id', name=op.f('uq_webhook_delivery_endpoint_id_event_id'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_state'), ['state'], unique=False)
    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_staff_school_id_external_id', ['school_id', 'external_id'], unique=True)


def downgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index("uq_staff_school_id_external_id")
        batch_op.drop_column("external_id")
    for table, indexes in (("webhook_attempt", ["ix_webhook_attempt_delivery_id"]),
                           ("webhook_delivery", ["ix_webhook_delivery_state", "ix_webhook_delivery_school_id",
                                                 "ix_webhook_delivery_next_attempt_at",
                                                 "ix_webhook_delivery_endpoint_id"]),
                           ("sync_receipt", ["ix_sync_receipt_school_id"]),
                           ("api_token", ["ix_api_token_school_id"]),
                           ("webhook_endpoint", ["ix_webhook_endpoint_school_id"]),
                           ("feed_event", ["ix_feed_event_school_id"]),
                           ("feed_counter", [])):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
