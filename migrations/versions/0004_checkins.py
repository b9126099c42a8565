"""check-in stations: the class tablet at the door, opened by a teacher for one group

Revision ID: 0004_checkins
Revises: 0003_circles
Create Date: 2026-11-27 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_checkins'
down_revision = '0003_circles'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('check_in_station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], name=op.f('fk_check_in_station_group_id_group')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['staff.id'], name=op.f('fk_check_in_station_opened_by_id_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_check_in_station_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in_station'))
    )
    with op.batch_alter_table('check_in_station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_station_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_station_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_in_station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_station_school_id'))
        batch_op.drop_index(batch_op.f('ix_check_in_station_group_id'))

    op.drop_table('check_in_station')
