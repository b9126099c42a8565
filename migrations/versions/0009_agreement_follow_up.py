"""agreements: the follow-up of a "not kept" agreement (when, by whom, the further conversation)

Revision ID: 0009_agreement_follow_up
Revises: 0008_sign_ins
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_agreement_follow_up"
down_revision = "0008_sign_ins"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followed_up_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up_conversation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agreement_followed_up_by_id_staff'), 'staff',
                                    ['followed_up_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_agreement_follow_up_conversation_id_conversation'),
                                    'conversation', ['follow_up_conversation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_follow_up_conversation_id_conversation'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_agreement_followed_up_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('follow_up_conversation_id')
        batch_op.drop_column('followed_up_by_id')
        batch_op.drop_column('followed_up_at')
