"""peer mediation: mediator sign-ins, mediations, mediators, parties, "Get an adult" alerts, duty

Revision ID: 0006_mediation
Revises: 0005_conversations
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_mediation"
down_revision = "0005_conversations"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mediator_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=False),
    sa.Column('badge_version', sa.Integer(), nullable=False),
    sa.Column('session_epoch', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_mediator_account_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_mediator_account_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediator_account')),
    sa.UniqueConstraint('pupil_id', name=op.f('uq_mediator_account_pupil_id')),
    sa.UniqueConstraint('username', name=op.f('uq_mediator_account_username'))
    )
    with op.batch_alter_table('mediator_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediator_account_school_id'), ['school_id'], unique=False)

    op.create_table('mediation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=80), nullable=True),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ideas', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('client_uuid', sa.String(length=36), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff.id'], name=op.f('fk_mediation_reviewed_by_id_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_mediation_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation')),
    sa.UniqueConstraint('school_id', 'client_uuid', name=op.f('uq_mediation_school_id_client_uuid'))
    )
    with op.batch_alter_table('mediation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_started_at'), ['started_at'], unique=False)

    op.create_table('mediation_mediator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediation_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mediation_id'], ['mediation.id'], name=op.f('fk_mediation_mediator_mediation_id_mediation')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_mediation_mediator_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_mediator')),
    sa.UniqueConstraint('mediation_id', 'pupil_id', name=op.f('uq_mediation_mediator_mediation_id_pupil_id'))
    )
    with op.batch_alter_table('mediation_mediator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_mediator_mediation_id'), ['mediation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_mediator_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('mediation_party',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediation_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('rules_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('story_words', sa.String(length=300), nullable=True),
    sa.Column('feeling', sa.String(length=16), nullable=True),
    sa.Column('agreement_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_mediation_party_agreement_id_agreement')),
    sa.ForeignKeyConstraint(['mediation_id'], ['mediation.id'], name=op.f('fk_mediation_party_mediation_id_mediation')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_mediation_party_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_party')),
    sa.UniqueConstraint('mediation_id', 'pupil_id', name=op.f('uq_mediation_party_mediation_id_pupil_id'))
    )
    with op.batch_alter_table('mediation_party', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_party_mediation_id'), ['mediation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_party_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('mediation_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('mediation_id', sa.Integer(), nullable=False),
    sa.Column('raised_by_pupil_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['staff.id'], name=op.f('fk_mediation_alert_answered_by_id_staff')),
    sa.ForeignKeyConstraint(['mediation_id'], ['mediation.id'], name=op.f('fk_mediation_alert_mediation_id_mediation')),
    sa.ForeignKeyConstraint(['raised_by_pupil_id'], ['pupil.id'], name=op.f('fk_mediation_alert_raised_by_pupil_id_pupil')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_mediation_alert_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_alert'))
    )
    with op.batch_alter_table('mediation_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_alert_mediation_id'), ['mediation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_alert_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_alert_school_id'), ['school_id'], unique=False)

    op.create_table('mediation_duty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_mediation_duty_school_id_school')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_mediation_duty_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_duty')),
    sa.UniqueConstraint('staff_id', 'on_date', name=op.f('uq_mediation_duty_staff_id_on_date'))
    )
    with op.batch_alter_table('mediation_duty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_duty_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_duty_staff_id'), ['staff_id'], unique=False)


def downgrade():
    op.drop_table('mediation_duty')
    op.drop_table('mediation_alert')
    op.drop_table('mediation_party')
    op.drop_table('mediation_mediator')
    op.drop_table('mediation')
    op.drop_table('mediator_account')
