"""agreements: a "not kept" review records the circle opened to follow it up

"Hold a circle" after "not kept" left the agreement among the follow-ups needed for ever, even though a
circle was held; the review now says which circle followed it up, as it does for a conversation.

Revision ID: 0017_review_follow_up_circle
Revises: 0015_pending_import_diff
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017_review_follow_up_circle"
down_revision = "0015_pending_import_diff"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement_review', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_circle_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agreement_review_follow_up_circle_id_circle'), 'circle',
                                    ['follow_up_circle_id'], ['id'])


def downgrade():
    with op.batch_alter_table('agreement_review', schema=None) as batch_op:
        batch_op.drop_constraint('fk_agreement_review_follow_up_circle_id_circle', type_='foreignkey')
        batch_op.drop_column('follow_up_circle_id')
