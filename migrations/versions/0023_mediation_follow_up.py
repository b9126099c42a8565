"""mediation: a peer mediation that ended with no agreement is followed up, and the record says how

DOMAIN.md: an adult takes over if there is no agreement. The lead's record of such a mediation offered
a restorative conversation or a conference, but once it was marked reviewed nothing kept the two pupils
in sight: a conversation never started was never missed. ``followed_up_at`` / ``followed_up_by_id``
say when and by whom it was followed up, and ``follow_up_conversation_id`` which conversation or
conference did it (empty when it was followed up another way); the lead's page lists the reviewed
ones still waiting.

No backfill: a mediation reviewed before this was never followed up on record, so the lead's list
shows it until it is (a conversation started from it, or "It has been followed up").

Downgrade: drops the three columns (the follow-up list goes with them).

Revision ID: 0023_mediation_follow_up
Revises: 0022_concern_client_uuid
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_mediation_follow_up"
down_revision = "0022_concern_client_uuid"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mediation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followed_up_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_up_conversation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_mediation_followed_up_by_id_staff'), 'staff',
                                    ['followed_up_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_mediation_follow_up_conversation_id_conversation'),
                                    'conversation', ['follow_up_conversation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('mediation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mediation_follow_up_conversation_id_conversation'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_mediation_followed_up_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('follow_up_conversation_id')
        batch_op.drop_column('followed_up_by_id')
        batch_op.drop_column('followed_up_at')
