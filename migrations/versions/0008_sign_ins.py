"""sign-ins: the ended sign-ins, so that a copy of a signed-out session cookie signs nobody in

Revision ID: 0008_sign_ins
Revises: 0007_sync
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_sign_ins"
down_revision = "0007_sync"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ended_sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sid', sa.String(length=32), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ended_sign_in')),
    sa.UniqueConstraint('sid', name=op.f('uq_ended_sign_in_sid'))
    )
    with op.batch_alter_table('ended_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_sign_in_ended_at'), ['ended_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ended_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_sign_in_ended_at'))
    op.drop_table('ended_sign_in')
