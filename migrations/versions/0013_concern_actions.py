"""safeguarding: what the DSL did or decided about a concern, and closing it

Revision ID: 0013_concern_actions
Revises: 0012_pending_import
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_concern_actions"
down_revision = "0012_pending_import"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('concern_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('concern_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['concern_id'], ['concern.id'], name=op.f('fk_concern_action_concern_id_concern')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_concern_action_school_id_school')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_concern_action_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_concern_action'))
    )
    with op.batch_alter_table('concern_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_concern_action_concern_id'), ['concern_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_concern_action_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('concern_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_concern_action_school_id'))
        batch_op.drop_index(batch_op.f('ix_concern_action_concern_id'))
    op.drop_table('concern_action')
