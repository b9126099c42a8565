"""circles: a seat records when someone let in left part-way, so the summary still lists them

A pupil who left the circle (by themselves, or taken out by the keeper) took part, but the summary
listed only those still seated at the close. Someone turned away from the waiting list before being
let in did not take part, and their seat keeps no time.

Revision ID: 0019_seat_left_at
Revises: 0017_review_follow_up_circle
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_seat_left_at"
down_revision = "0017_review_follow_up_circle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.drop_column('left_at')
