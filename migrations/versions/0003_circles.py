"""circles: circles, seats, the talking-piece history, rounds, check-ins in circles, the question bank

Revision ID: 0003_circles
Revises: 0002_shared
Create Date: 2026-11-27 05:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_circles'
down_revision = '0002_shared'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('circle_prompt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_circle_prompt_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_prompt'))
    )
    with op.batch_alter_table('circle_prompt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_prompt_school_id'), ['school_id'], unique=False)
    op.create_table('circle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('keeper_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('one_device', sa.Boolean(), nullable=False),
    sa.Column('auto_admit', sa.Boolean(), nullable=False),
    sa.Column('join_code', sa.String(length=6), nullable=True),
    sa.Column('join_expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holder_seat_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('lap', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('planned_prompts', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_circle_group_id_group')),
    sa.ForeignKeyConstraint(['keeper_id'], ['staff.id'], name=op.f('fk_circle_keeper_id_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_circle_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle')),
    sa.UniqueConstraint('join_code', name=op.f('uq_circle_join_code'))
    )
    with op.batch_alter_table('circle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_keeper_id'), ['keeper_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circle_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_circle_status'), ['status'], unique=False)
    op.create_table('circle_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('lap', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circle.id'], name=op.f('fk_circle_event_circle_id_circle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_event')),
    sa.UniqueConstraint('circle_id', 'version', name=op.f('uq_circle_event_circle_id_version'))
    )
    with op.batch_alter_table('circle_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_event_circle_id'), ['circle_id'], unique=False)
    op.create_table('circle_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('prompt', sa.String(length=300), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circle.id'], name=op.f('fk_circle_round_circle_id_circle')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_round')),
    sa.UniqueConstraint('circle_id', 'number', name=op.f('uq_circle_round_circle_id_number'))
    )
    with op.batch_alter_table('circle_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_round_circle_id'), ['circle_id'], unique=False)
    op.create_table('seat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_keeper', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['circle_id'], ['circle.id'], name=op.f('fk_seat_circle_id_circle')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupil.id'], name=op.f('fk_seat_pupil_id_pupil')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_seat_token_hash'))
    )
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_pupil_id'), ['pupil_id'], unique=False)
    op.create_table('circle_check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('circle_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checkin_id'], ['check_in.id'], name=op.f('fk_circle_check_in_checkin_id_check_in')),
    sa.ForeignKeyConstraint(['circle_id'], ['circle.id'], name=op.f('fk_circle_check_in_circle_id_circle')),
    sa.ForeignKeyConstraint(['seat_id'], ['seat.id'], name=op.f('fk_circle_check_in_seat_id_seat')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_circle_check_in')),
    sa.UniqueConstraint('checkin_id', name=op.f('uq_circle_check_in_checkin_id')),
    sa.UniqueConstraint('seat_id', 'round_no', name=op.f('uq_circle_check_in_seat_id_round_no'))
    )
    with op.batch_alter_table('circle_check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_circle_check_in_circle_id'), ['circle_id'], unique=False)


def downgrade():
    with op.batch_alter_table('circle_check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_check_in_circle_id'))
    op.drop_table('circle_check_in')
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seat_pupil_id'))
        batch_op.drop_index(batch_op.f('ix_seat_circle_id'))
    op.drop_table('seat')
    with op.batch_alter_table('circle_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_round_circle_id'))
    op.drop_table('circle_round')
    with op.batch_alter_table('circle_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_event_circle_id'))
    op.drop_table('circle_event')
    with op.batch_alter_table('circle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_status'))
        batch_op.drop_index(batch_op.f('ix_circle_school_id'))
        batch_op.drop_index(batch_op.f('ix_circle_keeper_id'))
    op.drop_table('circle')
    with op.batch_alter_table('circle_prompt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_circle_prompt_school_id'))
    op.drop_table('circle_prompt')
